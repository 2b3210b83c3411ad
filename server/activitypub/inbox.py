"""Inbox POSTs: verify, apply the domain policy, store once, answer 202; the worker processes.

Order matters (Fedify CVE-2025-54888, Takahē's unsigned POSTs): the signature is checked,
and its key's owner matched with the activity's actor, before anything is stored.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from cachetools import TTLCache
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.addresses import same_origin
from federation.jsonld import JsonObject, get_id
from federation.verify import Rejected, verify_request
from server.activitypub.inbox_writer import Incoming
from server.activitypub.runtime import Runtime, runtime
from server.db import transaction
from server.errors import Gone
from server.i18n import _
from server.models import RemoteActor
from server.request_scope import client_address, settings_of
from server.services.groups import get_group
from server.services.users import get_user
from server.uris import host_of

log = logging.getLogger(__name__)

ACCEPTED_TYPES = ("application/activity+json", "application/ld+json", "application/json")
#: How a surrogate gets into a parsed body: a ``\uD800``–``\uDFFF`` escape, or its bytes
#: (ED A0–BF …), which ``json.loads`` lets through: a body with neither needs no check.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def problem(status: int, reason: str, headers: Mapping[str, str] | None = None) -> Response:
    """An error answer in JSON, ``{"error": reason}``, as the inbox gives every answer."""
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


def public_url(request: Request) -> str:
    """The URL as the sender addressed it: our public origin plus the raw path and query."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    path = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return settings_of(request).base_url + path


def _is_valid_unicode(activity: JsonObject) -> bool:
    """False when a string holds a lone surrogate escape: no database can store it."""
    try:
        json.dumps(activity, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _parse(body: bytes) -> JsonObject | Response:
    if b"\\u0000" in body:  # no text holds NUL, and PostgreSQL refuses it in text columns
        return problem(400, "the body contains a NUL character")
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):  # incl. integers past Python's 4300-digit limit
        return problem(400, "the body is not valid JSON")
    if not isinstance(activity, dict):
        return problem(400, "the body must be a JSON object")
    if _SURROGATE.search(body) and not _is_valid_unicode(activity):
        return problem(400, "the body contains a lone surrogate (\\ud800…), not valid Unicode")
    if not isinstance(activity.get("type"), str) or not get_id(activity.get("actor")):
        return problem(400, "an activity needs a type and an actor")
    if not isinstance(activity.get("id"), str):
        return problem(400, "an activity needs an id")
    return activity


def is_addressed_to_us(request: Request) -> bool:
    """Whether the ``Host`` header names this instance. Draft-cavage signs ``Host`` as
    received, so without this a request signed for another server (and relayed by it)
    would verify here too."""
    ours = urlsplit(settings_of(request).base_url)
    default_port = ":443" if ours.scheme == "https" else ":80"
    host = request.headers.get("host", "").lower().removesuffix(default_port)
    return host == ours.netloc.lower().removesuffix(default_port)


async def _is_unknown_actor_deleting_itself(rt: Runtime, activity: JsonObject) -> bool:
    """Mastodon sends Delete{actor} for accounts we never saw; their key is gone (410)."""
    actor = get_id(activity.get("actor"))
    if activity.get("type") != "Delete" or get_id(activity.get("object")) != actor:
        return False
    async with transaction(rt.sessions) as session:
        known = (await session.exec(select(RemoteActor.id).where(RemoteActor.uri == actor))).first()
    return known is None


#: How long a personal inbox found valid is trusted without asking the database again.
RECIPIENT_TTL_SECONDS = 30.0


async def _check_recipient(request: Request, rt: Runtime) -> None:
    """A personal inbox must belong to an existing group or user (NotFound → 404), and not
    to a suspended group (410). Valid ones are remembered for :data:`RECIPIENT_TTL_SECONDS`
    (suspending a group forgets them at once)."""
    name = request.path_params.get("name")
    if name is None:
        return
    known: TTLCache[str, bool] = rt.inbox_recipients
    path: str = request.scope["path"]  # not request.url: building it costs more than this
    if path in known:
        return
    async with transaction(rt.sessions) as session:
        if path.startswith("/groups/"):
            if (await get_group(session, name)).suspended_at is not None:
                raise Gone(_("This group was suspended by the instance's admins."))
        else:
            await get_user(session, name)
    known[path] = True


async def receive(request: Request) -> Response:
    """Accept an activity at a personal or the shared inbox."""
    rt = runtime(request)  # read once: each lookup on app.state costs a few µs
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        return problem(415, "send activities as application/activity+json")
    await _check_recipient(request, rt)
    body = await request.body()
    parsed = _parse(body)
    if isinstance(parsed, Response):
        return parsed
    activity = parsed
    actor = str(get_id(activity["actor"]))
    policy = rt.policy
    await policy.refresh()
    if not policy.allows(host_of(actor)):
        return problem(403, "this instance does not federate with your domain")
    if policy.actor_blocked(actor):
        return problem(403, "this account is blocked here")
    if not same_origin(activity["id"], actor):
        # Activities are deduplicated by id: an id must not be claimable from elsewhere.
        return problem(400, "the activity's id must be on its actor's server")
    if await _is_unknown_actor_deleting_itself(rt, activity):
        return Response(status_code=202)
    if not is_addressed_to_us(request):
        return problem(401, "signature rejected: the request is addressed to another host")
    window = timedelta(seconds=rt.settings.federation.signature_window_seconds)
    result = await verify_request(
        request.method,
        public_url(request),
        request.headers,
        body,
        rt.remote.key_resolver(client_address(request), actor),
        window=window,
    )
    if isinstance(result, Rejected):
        log.info("inbox refused %s from %s: %s", activity.get("type"), actor, result.reason)
        return problem(result.status, f"signature rejected: {result.reason}")
    if result.owner != actor:
        return problem(401, "the signing key does not belong to the activity's actor")
    if (wait := _domain_limit(rt, actor)) > 0:
        return problem(
            429,
            "too many activities from your server: slow down and retry later",
            {"Retry-After": str(math.ceil(wait))},
        )
    return await _store(rt, activity, actor, body)


def _domain_limit(rt: Runtime, actor: str) -> float:
    """Spend one of the actor's domain's inbox allowance: only once its signature verified,
    so nobody else can spend it (unverified requests count against their address only)."""
    limit = rt.settings.rate_limits.inbox_per_domain
    return rt.rate_buckets.take(f"inbox-domain {host_of(actor)}", limit)


async def _store(rt: Runtime, activity: JsonObject, actor: str, body: bytes) -> Response:
    row = Incoming(activity["id"], actor, activity["type"][:64], body.decode())
    # Committed (or a duplicate) when it returns; the commit woke the worker.
    await rt.inbox_writer.store(row)
    return Response(status_code=202)


routes = [
    Route("/inbox", receive, methods=["POST"]),
    Route("/actor/inbox", receive, methods=["POST"]),
    Route("/groups/{name}/inbox", receive, methods=["POST"]),
    Route("/users/{name}/inbox", receive, methods=["POST"]),
]
