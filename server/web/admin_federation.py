"""Admin pages for federation: the delivery queue, failing servers, the servers we know, and
the admins' decisions — suspended and silenced domains, blocked accounts — plus the audit
log of every admin and moderator action."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.queue import queue_stats
from server.activitypub.remote import RemoteError
from server.errors import InvalidInput
from server.i18n import _
from server.services import federation_admin as decisions
from server.services.audit import recent
from server.web.common import (
    db,
    flash,
    form_text,
    path_id,
    read_form,
    redirect,
    render,
    require_admin,
)
from server.web.runtime import web_runtime

BACK = "/admin/federation"


async def federation_page(request: Request) -> Response:
    """How deliveries are going, and what the admins decided about other servers."""
    live = web_runtime(request).policy
    await live.refresh()
    async with db(request) as session:
        user = await require_admin(request, session)
        domains, blocks = await decisions.decisions_list(session)
        context = {
            "stats": await queue_stats(session),
            "mode": live.mode,
            "domains": domains,
            "blocks": blocks,
            "instances": await decisions.known_instances(session, live),
        }
        return await render(request, session, "admin/federation.html", context, user=user)


async def domain_submit(request: Request) -> Response:
    """Suspend or silence a domain (a suspension is confirmed on a second page first)."""
    form = await read_form(request)
    async with db(request) as session:
        admin = await require_admin(request, session)
        domain = form_text(form, "domain").strip()
        if form_text(form, "action") == "suspend" and form_text(form, "confirm") != "yes":
            context = {
                "heading": _("Suspend %(domain)s?") % {"domain": domain},
                "question": (
                    _(
                        "Nothing is sent to or accepted from %(domain)s any more, and its accounts "
                        "that follow groups here are removed from them. You can lift it later, but "
                        "they would have to follow again."
                    )
                    % {"domain": domain}
                ),
                "action": "/admin/federation/domains",
                "fields": [(key, form_text(form, key)) for key in ("domain", "action", "note")],
                "yes": _("Yes, suspend %(domain)s") % {"domain": domain},
                "no": _("Keep federating"),
                "back": BACK,
            }
            return await render(request, session, "confirm.html", context, user=admin)
        message = await decisions.set_domain_policy(
            session,
            web_runtime(request).policy,
            admin,
            form_text(form, "domain"),
            form_text(form, "action"),
            form_text(form, "note"),
        )
    flash(request, message, "success")
    return redirect(BACK)


async def mode_submit(request: Request) -> Response:
    """Choose open, blocklist or allowlist federation."""
    form = await read_form(request)
    async with db(request) as session:
        admin = await require_admin(request, session)
        message = await decisions.set_mode(
            session, web_runtime(request).policy, admin, form_text(form, "mode")
        )
    flash(request, message, "success")
    return redirect(BACK)


async def domain_remove(request: Request) -> Response:
    """Lift a suspension or silence."""
    await read_form(request)
    async with db(request) as session:
        admin = await require_admin(request, session)
        policy_id = path_id(request, "policy_id", _("No such decision."))
        message = await decisions.lift_domain_policy(
            session, web_runtime(request).policy, admin, policy_id
        )
    flash(request, message, "success")
    return redirect(BACK)


async def _actor_uri(request: Request, raw: str) -> str:
    """An account's URI from its URL or its handle (looked up by WebFinger)."""
    raw = raw.strip()
    if raw.startswith(("https://", "http://")):
        return raw
    if raw.count("@") < 1 or len(raw) > 300:
        raise InvalidInput(_("Enter the account's handle (@name@server) or URL."), field="actor")
    try:
        return (await web_runtime(request).remote.actor_by_handle(raw)).uri
    except RemoteError as exc:
        raise InvalidInput(
            _("We couldn't find %(handle)s: %(error)s") % {"handle": raw, "error": exc},
            field="actor",
        ) from exc


async def actor_submit(request: Request) -> Response:
    """Block a remote account."""
    form = await read_form(request)
    async with db(request) as session:
        await require_admin(request, session)
    uri = await _actor_uri(request, form_text(form, "actor"))
    async with db(request) as session:
        admin = await require_admin(request, session)
        message = await decisions.block_actor(
            session, web_runtime(request).policy, admin, uri, form_text(form, "note")
        )
    flash(request, message, "success")
    return redirect(BACK)


async def actor_remove(request: Request) -> Response:
    """Lift an account block."""
    await read_form(request)
    async with db(request) as session:
        admin = await require_admin(request, session)
        block_id = path_id(request, "block_id", _("No such block."))
        message = await decisions.unblock_actor(
            session, web_runtime(request).policy, admin, block_id
        )
    flash(request, message, "success")
    return redirect(BACK)


async def audit_page(request: Request) -> Response:
    """Every admin and moderator action, newest first."""
    async with db(request) as session:
        user = await require_admin(request, session)
        entries = await recent(session)
        return await render(request, session, "admin/audit.html", {"entries": entries}, user=user)


routes = [
    Route("/admin/federation", federation_page, methods=["GET"]),
    Route("/admin/federation/mode", mode_submit, methods=["POST"]),
    Route("/admin/federation/domains", domain_submit, methods=["POST"]),
    Route("/admin/federation/domains/{policy_id}/remove", domain_remove, methods=["POST"]),
    Route("/admin/federation/actors", actor_submit, methods=["POST"]),
    Route("/admin/federation/actors/{block_id}/remove", actor_remove, methods=["POST"]),
    Route("/admin/audit", audit_page, methods=["GET"]),
]
