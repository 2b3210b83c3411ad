"""``/api/v1/follows``: the fediverse accounts the token's user follows, as on the home page —
list them, follow one by its handle (found through WebFinger), unfollow."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.activitypub import follows
from server.activitypub.remote import RemoteError
from server.activitypub.runtime import runtime
from server.api.common import ApiError, api_user, read_json
from server.api.spec import ApiRoute, Doc, listing
from server.db import db
from server.errors import NotFound
from server.models import Follow, RemoteActor
from server.request_scope import settings_of
from server.uris import LocalUris


class FollowIn(BaseModel):
    """The account to follow, e.g. ``@club@town.example``."""

    model_config = ConfigDict(extra="forbid")

    handle: str = Field(min_length=3, max_length=300, pattern=r"^@?[^@\s]+@[^@\s]+$")


class FollowOut(BaseModel):
    """One followed account; ``state`` is pending until its server accepts."""

    openapi_name: ClassVar[str] = "Follow"
    id: int
    actor: str
    handle: str
    name: str
    url: str
    state: str


def follow_json(follow: Follow, actor: RemoteActor) -> dict[str, Any]:
    """The API representation of a follow."""
    return FollowOut(
        id=follow.id or 0,
        actor=actor.uri,
        handle=actor.handle,
        name=actor.name,
        url=actor.url or actor.uri,
        state=follow.state,
    ).model_dump()


async def list_follows(request: Request) -> Response:
    """The accounts the token's user follows (or asked to), by name."""
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await api_user(request, session)
        rows = await follows.followed_by(session, uris, user)
    return JSONResponse({"items": [follow_json(follow, actor) for follow, actor in rows]})


async def create(request: Request) -> Response:
    """Find an account by handle and send it a Follow (409 if already followed)."""
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        await api_user(request, session)
        data = await read_json(request, FollowIn)
    handle = data.handle if data.handle.startswith("@") else f"@{data.handle}"
    try:
        actor = await runtime(request).remote.actor_by_handle(handle)
    except RemoteError as exc:
        raise ApiError(404, "not_found", f"We couldn't find {handle}: {exc}") from None
    async with db(request) as session:
        user = await api_user(request, session)
        follow = await follows.follow_remote(session, uris, user, actor)
        await session.flush()
        body = follow_json(follow, actor)
    return JSONResponse(body, status_code=201, headers={"Location": "/api/v1/follows"})


async def remove(request: Request) -> Response:
    """Unfollow (sends ``Undo(Follow)``)."""
    uris = LocalUris(settings_of(request))
    raw = request.path_params["follow_id"]
    async with db(request) as session:
        user = await api_user(request, session)
        rows = await follows.followed_by(session, uris, user)
        found = [actor for follow, actor in rows if str(follow.id) == raw]
        if not found:
            raise NotFound("You don't follow this account.")
        await follows.unfollow_remote(session, uris, user, found[0].uri)
    return Response(status_code=204)


routes = [
    ApiRoute(
        "/api/v1/follows",
        list_follows,
        "GET",
        Doc(
            "The fediverse accounts the token's user follows",
            "listFollows",
            {200: ("Follows", listing(FollowOut))},
            (401,),
        ),
    ),
    ApiRoute(
        "/api/v1/follows",
        create,
        "POST",
        Doc(
            "Follow a fediverse account by its handle (found through WebFinger)",
            "createFollow",
            {201: ("Follow sent (pending until accepted)", FollowOut)},
            (400, 401, 404, 409, 415),
            body=FollowIn,
        ),
    ),
    ApiRoute(
        "/api/v1/follows/{follow_id}",
        remove,
        "DELETE",
        Doc(
            "Unfollow (sends Undo of the Follow)", "deleteFollow", {204: ("Done", None)}, (401, 404)
        ),
    ),
]
