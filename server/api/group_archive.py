"""API: download a group's archive, create a group from one, and move a group.

``GET /api/v1/groups/NAME/archive`` (the group's admins), ``POST /api/v1/groups/import``
(the archive as the JSON body; ``?slug=`` to pick another handle). See docs/group-archive.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.activitypub.group_archive import archive_download
from server.activitypub.group_archive_schema import parse_archive
from server.activitypub.group_import import fetch_member_actors, import_group
from server.activitypub.move import move_group
from server.activitypub.runtime import runtime
from server.api.common import ApiError, api_user, read_json
from server.api.groups import GroupOut, group_json
from server.api.schemas import ARCHIVE, MOVED
from server.api.spec import ApiRoute, Doc, query
from server.db import db
from server.request_scope import settings_of
from server.uris import LocalUris


async def download(request: Request) -> Response:
    """The group's archive, as a JSON file to save."""
    async with db(request) as session:
        user = await api_user(request, session)
        uris = LocalUris(settings_of(request))
        return await archive_download(session, uris, user, request.path_params["slug"])


async def upload(request: Request) -> Response:
    """Create a group from an archive; the token's user becomes its admin."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the archive as application/json.")
    archive = parse_archive(await request.body())
    settings = settings_of(request)
    async with db(request) as session:
        user = await api_user(request, session)
        slug = request.query_params.get("slug", "")
        group = await import_group(session, LocalUris(settings), archive, user, slug)
        body = await group_json(session, settings, group)
    await fetch_member_actors(runtime(request).remote, archive)
    runtime(request).read_cache.clear()
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/groups/{group.slug}"})


class MoveIn(BaseModel):
    """Where the group now lives: the new group's actor URI (it must list this group in
    ``alsoKnownAs``, i.e. the archive was imported there)."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(min_length=8, max_length=2048)


async def move(request: Request) -> Response:
    """Send ``Move`` to the group's followers and redirect its pages to the new group."""
    async with db(request) as session:
        user = await api_user(request, session)
    data = await read_json(request, MoveIn)
    group = await move_group(runtime(request), user, request.path_params["slug"], data.target)
    return JSONResponse({"slug": group.slug, "moved_to": group.moved_to})


routes = [
    ApiRoute(
        "/api/v1/groups/{slug}/move",
        move,
        "POST",
        Doc(
            "Move the group to its imported copy: Move to followers, movedTo, pages redirect",
            "moveGroup",
            {200: ("Moved", MOVED)},
            (400, 401, 403, 404, 409, 415),
            body=MoveIn,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/import",
        upload,
        "POST",
        Doc(
            "Create a group from an archive; the caller becomes its admin",
            "importGroup",
            {201: ("Created", GroupOut)},
            (400, 401, 409, 413, 415),
            body=ARCHIVE,
            query=(query("slug"),),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/archive",
        download,
        "GET",
        Doc(
            "Download the group's archive (its admins)",
            "exportGroup",
            {200: ("The archive", ARCHIVE)},
            (401, 403, 404),
        ),
    ),
]
