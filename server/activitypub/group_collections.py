"""A group's collections beyond followers and outbox, for the peers that read them.

- ``moderators``: Lemmy reads a group's ``attributedTo`` as the URL of an OrderedCollection of
  its moderators with the items inline (``crates/apub/apub/src/protocol/collections/
  group_moderators.rs``; ``collections/community_moderators.rs`` fetches it and makes each
  listed Person a moderator).
- ``events``, ``posts``, ``discussions``, ``resources``, ``todos``: Mobilizon refreshes a remote
  group by fetching ``outbox``, ``members``, ``resources``, ``posts``, ``todos``,
  ``discussions`` and ``events`` in one chain and stops at the first one that fails
  (``lib/federation/activity_pub/refresher.ex``), so each answers an OrderedCollection: the
  group's public meetups in ``events``, nothing yet in the others (Hearth has no Mobilizon
  resources, todos or discussions, and its posts travel through the outbox).
"""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.jsonld import AS_CONTEXT, JsonObject
from server.activitypub.event_documents import event_document
from server.activitypub.routes import (
    PAGE_SIZE,
    activity_response,
    check_signed_fetch,
    collection,
    page_number,
    wants_activity_json,
)
from server.activitypub.runtime import runtime
from server.db import transaction
from server.models import Event, Group, Membership, MembershipState, User
from server.request_scope import settings_of
from server.services import remote_membership
from server.services.groups import get_group
from server.uris import LocalUris

MODERATOR_ROLES = ("admin", "moderator")
#: Mobilizon's collections Hearth has nothing to put in (yet).
EMPTY = ("posts", "discussions", "resources", "todos")


async def moderator_uris(session: AsyncSession, uris: LocalUris, group: Group) -> list[str]:
    """The actor ids of the group's admins and moderators, local ones by name first."""
    query = (
        select(User.username)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.group_id == group.id,
            Membership.state == MembershipState.ACTIVE,
            col(Membership.role).in_(MODERATOR_ROLES),
        )
        .order_by(col(User.username))
    )
    local = [uris.user(name) for name in (await session.exec(query)).all()]
    remote = [
        actor.uri
        for actor, member in await remote_membership.with_actors(
            session, group, MembershipState.ACTIVE
        )
        if member.role in MODERATOR_ROLES
    ]
    return local + remote


def _person_asked(request: Request) -> Response | None:
    """People following a link get the group's page; the collections are for servers."""
    if wants_activity_json(request):
        return None
    return RedirectResponse(f"/groups/{request.path_params['name']}", status_code=303)


async def _group(request: Request, session: AsyncSession) -> tuple[Group, str]:
    params = request.path_params  # the calendar page, whose events list this is, says slug
    group = await get_group(session, params.get("name") or params["slug"])
    return group, LocalUris(settings_of(request)).group(group.slug)


async def moderators_collection(request: Request) -> Response:
    """``GET /groups/{name}/moderators``: every moderator inline, as Lemmy expects."""
    if refused := _person_asked(request) or await check_signed_fetch(request):
        return refused
    async with transaction(runtime(request).sessions) as session:
        group, uri = await _group(request, session)
        items = await moderator_uris(session, LocalUris(settings_of(request)), group)
    document: JsonObject = {
        "@context": AS_CONTEXT,
        "id": f"{uri}/moderators",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
    return activity_response(document)


async def events_collection(request: Request) -> Response:
    """The group's public meetups as Mobilizon ``Event`` objects, latest start first."""
    if refused := await check_signed_fetch(request):
        return refused
    page = page_number(request)
    uris = LocalUris(settings_of(request))
    async with transaction(runtime(request).sessions) as session:
        group, uri = await _group(request, session)
        condition = (col(Event.group_id) == group.id) & (col(Event.visibility) == "public")
        total = (await session.exec(select(func.count()).select_from(Event).where(condition))).one()
        items: list[JsonObject] = []
        if page is not None:
            query = select(Event).where(condition).order_by(col(Event.starts_at).desc())
            rows = await session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
            for event in rows.all():
                document = await event_document(session, uris, group, event)
                items.append({key: value for key, value in document.items() if key != "@context"})
    return activity_response(collection(f"{uri}/events", total, page, items))


async def empty_collection(request: Request) -> Response:
    """``posts``, ``discussions``, ``resources`` or ``todos``: an empty OrderedCollection."""
    if refused := _person_asked(request) or await check_signed_fetch(request):
        return refused
    name = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    async with transaction(runtime(request).sessions) as session:
        _, uri = await _group(request, session)
    return activity_response(collection(f"{uri}/{name}", 0, page_number(request), []))


routes = [
    Route("/groups/{name}/moderators", moderators_collection, methods=["GET"]),
    *(Route(f"/groups/{{name}}/{name}", empty_collection, methods=["GET"]) for name in EMPTY),
]
