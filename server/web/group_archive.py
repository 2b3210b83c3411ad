"""Web pages to carry a group to another server: "Move this group" (download the archive,
then announce the move) and "Import a group" (create a group from an archive)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.group_archive import archive_download
from server.activitypub.group_archive_schema import MAX_ARCHIVE_BYTES, parse_archive
from server.activitypub.group_import import fetch_member_actors, import_group
from server.activitypub.move import move_group
from server.errors import HearthError, InvalidInput
from server.i18n import _
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
from server.web.runtime import web_runtime


async def move_page(request: Request, error: HearthError | None = None) -> Response:
    """The group's "Move" page: download its archive, then point it at its new home."""
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "edit_group")
        context: dict[str, Any] = {"group": group, "error": error}
        status = error.status if error else 200
        return await render(request, session, "group_move.html", context, status=status, user=user)


async def download(request: Request) -> Response:
    """The group's archive (web)."""
    async with db(request) as session:
        user = await require_user(request, session)
        uris = LocalUris(settings_of(request))
        return await archive_download(session, uris, user, request.path_params["slug"])


async def move_submit(request: Request) -> Response:
    """The "Move" form: check the new group and announce the move."""
    form = await read_form(request)
    target = form_text(form, "target").strip()
    async with db(request) as session:
        user = await require_user(request, session)
    try:
        group = await move_group(web_runtime(request), user, request.path_params["slug"], target)
    except HearthError as exc:
        return await move_page(request, exc)
    flash(
        request,
        _("%(group)s moved to %(moved_to)s; its followers are told.")
        % {"group": group.name, "moved_to": group.moved_to},
        "success",
    )
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
            error = InvalidInput(_("Choose the group's archive file (.json)."), field="file")
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
    await fetch_member_actors(web_runtime(request).remote, archive)
    web_runtime(request).read_cache.clear()
    flash(
        request,
        _("Imported %(group)s from %(actor)s.")
        % {"group": archive.group.name, "actor": archive.source.actor},
        "success",
    )
    return redirect(f"/groups/{slug}")


routes = [
    Route("/groups/import", import_page, methods=["GET"]),
    Route("/groups/import", import_submit, methods=["POST"]),
    Route("/groups/{slug}/move", move_page, methods=["GET"]),
    Route("/groups/{slug}/move", move_submit, methods=["POST"]),
    Route("/groups/{slug}/archive", download, methods=["GET"]),
]
