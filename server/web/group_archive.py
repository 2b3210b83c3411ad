"""Web pages to carry a group to another server: "Move this group" (download the archive,
then announce the move) and "Import a group" (create a group from an archive)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.activitypub.group_archive import archive_filename, export_group
from server.activitypub.group_archive_schema import MAX_ARCHIVE_BYTES, parse_archive
from server.activitypub.group_import import fetch_member_actors, import_group
from server.activitypub.move import announce_move, check_target
from server.errors import Conflict, HearthError, InvalidInput
from server.models import Group, User
from server.services import membership as members
from server.services.groups import get_group
from server.uris import LocalUris
from server.web.common import (
    db,
    flash,
    form_text,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)
from server.web.group_moved import forget_moves


async def move_page(request: Request, error: HearthError | None = None) -> Response:
    """The group's "Move" page: download its archive, then point it at its new home."""
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "edit_group")
        context: dict[str, Any] = {"group": group, "error": error}
        status = error.status if error else 200
        return await render(request, session, "group_move.html", context, status=status, user=user)


async def archive_download(
    request: Request, session: AsyncSession, user: User, slug: str
) -> Response:
    """The group's archive as a JSON file to save, for its admins (the web and the API)."""
    group = await get_group(session, slug)
    await members.require(session, group, user, "edit_group")
    archive = await export_group(session, LocalUris(settings_of(request)), group)
    disposition = f'attachment; filename="{archive_filename(group)}"'
    return JSONResponse(archive, headers={"Content-Disposition": disposition})


async def download(request: Request) -> Response:
    """The group's archive (web)."""
    async with db(request) as session:
        user = await require_user(request, session)
        return await archive_download(request, session, user, request.path_params["slug"])


async def move_group(request: Request, user: User, slug: str, target: str) -> Group:
    """Announce that the group now lives at ``target`` (the web form and the API)."""
    state = request.app.state
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        group = await get_group(session, slug)
        await members.require(session, group, user, "edit_group")
        if group.moved_to:
            raise Conflict(f"This group already moved to {group.moved_to}.", field="target")
    new_home = await check_target(state.remote, uris.group(slug), target)
    async with db(request) as session:
        group = await get_group(session, slug)
        await announce_move(session, uris, group, new_home)
    forget_moves(request.app)
    state.read_cache.clear()
    state.wake_worker()
    return group


async def move_submit(request: Request) -> Response:
    """The "Move" form: check the new group and announce the move."""
    form = await read_form(request)
    target = form_text(form, "target").strip()
    async with db(request) as session:
        user = await require_user(request, session)
    try:
        group = await move_group(request, user, request.path_params["slug"], target)
    except HearthError as exc:
        return await move_page(request, exc)
    flash(request, f"{group.name} moved to {group.moved_to}; its followers are told.", "success")
    return redirect(f"/groups/{group.slug}/move")


async def _import_page(
    request: Request, form: dict[str, str] | None = None, error: HearthError | None = None
) -> Response:
    async with db(request) as session:
        user = await require_user(request, session)
        context: dict[str, Any] = {"form": form or {}, "error": error}
        status = error.status if error else 200
        return await render(
            request, session, "group_import.html", context, status=status, user=user
        )


async def import_page(request: Request) -> Response:
    """The form to create a group from an archive."""
    return await _import_page(request)


async def import_submit(request: Request) -> Response:
    """Create a group from the uploaded archive; the uploader becomes its admin."""
    form = await read_form(request, max_part_size=MAX_ARCHIVE_BYTES, max_files=1)
    try:
        values = {"slug": form_text(form, "slug").strip()}
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = InvalidInput("Choose the group's archive file (.json).", field="file")
            return await _import_page(request, values, error)
        data = await upload.read(MAX_ARCHIVE_BYTES + 1)
    finally:
        await form.close()
    try:
        archive = parse_archive(data)
        async with db(request) as session:
            user = await require_user(request, session)
            uris = LocalUris(settings_of(request))
            group = await import_group(session, uris, archive, user, values["slug"])
            slug = group.slug
    except HearthError as exc:
        return await _import_page(request, values, exc)
    await fetch_member_actors(request.app.state.remote, archive)
    request.app.state.read_cache.clear()
    flash(request, f"Imported {archive.group.name} from {archive.source.actor}.", "success")
    return redirect(f"/groups/{slug}")


routes = [
    Route("/groups/import", import_page, methods=["GET"]),
    Route("/groups/import", import_submit, methods=["POST"]),
    Route("/groups/{slug}/move", move_page, methods=["GET"]),
    Route("/groups/{slug}/move", move_submit, methods=["POST"]),
    Route("/groups/{slug}/archive", download, methods=["GET"]),
]
