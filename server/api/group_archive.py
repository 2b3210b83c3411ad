"""API: download a group's archive, create a group from one, and move a group.

``GET /api/v1/groups/NAME/archive`` (the group's admins), ``POST /api/v1/groups/import``
(the archive as the JSON body; ``?slug=`` to pick another handle). See docs/group-archive.md.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.activitypub.group_archive_schema import parse_archive
from server.activitypub.group_import import import_group
from server.activitypub.uris import LocalUris
from server.api.common import ApiError, api_user
from server.api.groups import group_json
from server.web.common import db, settings_of
from server.web.group_archive import archive_download


async def download(request: Request) -> Response:
    """The group's archive, as a JSON file to save."""
    async with db(request) as session:
        user = await api_user(request, session)
        return await archive_download(request, session, user, request.path_params["slug"])


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
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/groups/{group.slug}"})


routes = [
    Route("/api/v1/groups/import", upload, methods=["POST"]),
    Route("/api/v1/groups/{slug}/archive", download, methods=["GET"]),
]
