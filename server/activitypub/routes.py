"""ActivityPub GET endpoints: actors (content-negotiated with the HTML pages), collections,
objects and activities — behind signed fetches when ``authorized_fetch`` is on."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.jsonld import AS_CONTEXT, JsonObject
from federation.verify import Rejected, verify_request
from server.activitypub.documents import group_document, instance_document, user_document
from server.activitypub.event_documents import current_outbox_item
from server.activitypub.inbox import is_addressed_to_us, public_url
from server.activitypub.post_publishing import note_for
from server.activitypub.runtime import runtime
from server.db import transaction
from server.errors import Gone, NotFound
from server.i18n import _
from server.inputs import page_number as read_page
from server.models import Follow, FollowState, Group, GroupPost, OutboxActivity, UserState
from server.request_scope import client_address, settings_of
from server.services import remote_membership
from server.services.groups import get_group
from server.services.users import get_user
from server.uris import LocalUris, host_of

AS_JSON = "application/activity+json"
PAGE_SIZE = 50


def wants_activity_json(request: Request) -> bool:
    """Whether the client asked for ActivityStreams rather than HTML."""
    accept = request.headers.get("accept", "").lower()
    return "application/activity+json" in accept or (
        "application/ld+json" in accept and "text/html" not in accept.split(",")[0]
    )


def activity_response(document: JsonObject, status: int = 200) -> Response:
    """An ActivityStreams document, served the way strict peers expect."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(
        body, status_code=status, media_type=AS_JSON, headers={"Vary": "Accept, Signature"}
    )


async def check_signed_fetch(request: Request) -> Response | None:
    """With authorized fetch on, refuse (401) GETs that are not validly signed."""
    settings = settings_of(request)
    if not settings.federation.authorized_fetch:
        return None
    if not is_addressed_to_us(request):
        return JSONResponse(
            {"error": "a signed request is required: it is addressed to another host"},
            status_code=401,
        )
    remote = runtime(request).remote
    window = timedelta(seconds=settings.federation.signature_window_seconds)
    result = await verify_request(
        "GET",
        public_url(request),
        request.headers,
        b"",
        remote.key_resolver(client_address(request)),
        window=window,
    )
    if isinstance(result, Rejected):
        return JSONResponse(
            {"error": f"a signed request is required: {result.reason}"}, status_code=401
        )
    if not runtime(request).policy.allows(host_of(result.owner)):
        return JSONResponse(
            {"error": "this instance does not federate with your domain"}, status_code=403
        )
    return None


async def verified_signer(request: Request) -> str | None:
    """The actor whose valid signature this GET carries (whatever the authorized-fetch
    setting), or None: for objects only some remote actors may read."""
    if not is_addressed_to_us(request) or "signature" not in request.headers:
        return None
    settings = settings_of(request)
    result = await verify_request(
        "GET",
        public_url(request),
        request.headers,
        b"",
        runtime(request).remote.key_resolver(client_address(request)),
        window=timedelta(seconds=settings.federation.signature_window_seconds),
    )
    if isinstance(result, Rejected) or not runtime(request).policy.allows(host_of(result.owner)):
        return None
    return result.owner


async def group_actor(request: Request) -> Response:
    """The Group actor (called by the group page when JSON is asked for)."""
    if refused := await check_signed_fetch(request):
        return refused
    async with transaction(runtime(request).sessions) as session:
        group = await get_group(session, request.path_params["slug"])
        if group.suspended_at is not None:
            raise Gone(_("This group was suspended by the instance's admins."))
        return activity_response(await group_document(session, settings_of(request), group))


async def user_actor(request: Request) -> Response:
    """The Person actor (called by the user page when JSON is asked for)."""
    if refused := await check_signed_fetch(request):
        return refused
    async with transaction(runtime(request).sessions) as session:
        user = await get_user(session, request.path_params["username"])
        if user.state != UserState.ACTIVE:
            raise NotFound(_("This account is not available."))
    return activity_response(user_document(settings_of(request), user))


async def instance_actor_document(request: Request) -> Response:
    """The instance actor: always readable, since it is what signs our own fetches."""
    async with transaction(runtime(request).sessions) as session:
        return activity_response(await instance_document(session, settings_of(request)))


def page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    return read_page(raw, 100_000)


def collection(uri: str, total: int, page: int | None, items: list[Any]) -> JsonObject:
    """An OrderedCollection (no page asked) or one of its pages."""
    if page is None:
        return {
            "@context": AS_CONTEXT,
            "id": uri,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": f"{uri}?page=1",
        }
    document: JsonObject = {
        "@context": AS_CONTEXT,
        "id": f"{uri}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "totalItems": total,
        "orderedItems": items,
    }
    if page * PAGE_SIZE < total:
        document["next"] = f"{uri}?page={page + 1}"
    if page > 1:
        document["prev"] = f"{uri}?page={page - 1}"
    return document


async def _actor_uri(request: Request, session: Any) -> str:
    uris = LocalUris(settings_of(request))
    if request.url.path.startswith("/groups/"):
        return uris.group((await get_group(session, request.path_params["name"])).slug)
    return uris.user((await get_user(session, request.path_params["name"])).username)


async def follow_collection(request: Request) -> Response:
    """``followers`` or ``following`` of a local actor, paged, with totalItems."""
    if refused := await check_signed_fetch(request):
        return refused
    page = page_number(request)
    followers = request.url.path.endswith("/followers")
    async with transaction(runtime(request).sessions) as session:
        actor = await _actor_uri(request, session)
        mine, theirs = (
            (Follow.followee_uri, Follow.follower_uri)
            if followers
            else (Follow.follower_uri, Follow.followee_uri)
        )
        condition = (col(mine) == actor) & (col(Follow.state) == FollowState.ACCEPTED)
        total = (
            await session.exec(select(func.count()).select_from(Follow).where(condition))
        ).one()
        items: list[str] = []
        if page is not None:
            query = select(theirs).where(condition).order_by(col(Follow.id).desc())
            items = list(
                (await session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).all()
            )
    return activity_response(
        collection(f"{actor}/{'followers' if followers else 'following'}", total, page, items)
    )


async def outbox(request: Request) -> Response:
    """Public activities of a local actor, newest first."""
    if refused := await check_signed_fetch(request):
        return refused
    page = page_number(request)
    async with transaction(runtime(request).sessions) as session:
        actor = await _actor_uri(request, session)
        condition = (
            (col(OutboxActivity.actor_uri) == actor)
            & col(OutboxActivity.is_public)
            & col(OutboxActivity.type).in_(("Create", "Announce"))
        )
        total = (
            await session.exec(select(func.count()).select_from(OutboxActivity).where(condition))
        ).one()
        items: list[JsonObject] = []
        if page is not None:
            query = (
                select(OutboxActivity.body).where(condition).order_by(col(OutboxActivity.id).desc())
            )
            rows = await session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
            uris = LocalUris(settings_of(request))
            for body in rows.all():
                stored = _without_context(json.loads(body))
                if (current := await current_outbox_item(session, uris, stored)) is not None:
                    items.append(current)
    return activity_response(collection(f"{actor}/outbox", total, page, items))


def _without_context(document: JsonObject) -> JsonObject:
    return {key: value for key, value in document.items() if key != "@context"}


async def post_object(
    request: Request, session: AsyncSession, group: Group, post: GroupPost
) -> Response:
    """A group post as a Note; members-only posts only to a signed fetch by a member,
    followers-only ones to nobody (they travel with their delivery)."""
    if post.visibility == "members":
        signer = await verified_signer(request)
        if signer is None or not await remote_membership.is_active_member(session, group, signer):
            raise NotFound(_("No such post."))
    elif refused := await check_signed_fetch(request):
        return refused
    if post.visibility == "followers":
        raise NotFound(_("No such post."))
    note = await note_for(session, LocalUris(settings_of(request)), group, post)
    return activity_response({"@context": AS_CONTEXT, **note})


async def activity_document(request: Request) -> Response:
    """A public activity we published, at its id."""
    if refused := await check_signed_fetch(request):
        return refused
    uri = f"{settings_of(request).base_url}/activities/{request.path_params['id']}"
    async with transaction(runtime(request).sessions) as session:
        row = (
            await session.exec(select(OutboxActivity).where(OutboxActivity.activity_uri == uri))
        ).first()
    if row is None or not row.is_public:
        raise NotFound(_("No such activity."))
    return Response(row.body, media_type=AS_JSON)


routes = [
    Route("/actor", instance_actor_document, methods=["GET"]),
    Route("/groups/{name}/followers", follow_collection, methods=["GET"]),
    Route("/groups/{name}/following", follow_collection, methods=["GET"]),
    Route("/groups/{name}/outbox", outbox, methods=["GET"]),
    Route("/users/{name}/followers", follow_collection, methods=["GET"]),
    Route("/users/{name}/following", follow_collection, methods=["GET"]),
    Route("/users/{name}/outbox", outbox, methods=["GET"]),
    Route("/activities/{id}", activity_document, methods=["GET"]),
]
