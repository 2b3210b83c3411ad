"""The "Import a calendar" page of a group: subscribe to an ICS / webcal link, upload an
``.ics`` file once, see how each import's last read went, read again, remove; and the
"Detach" button of an imported meetup."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import HearthError
from server.i18n import _, ngettext
from server.models import CalendarImport, Group, User
from server.services import membership as members
from server.services.calendar_import import (
    SyncReport,
    delete_import,
    detach_as,
    get_import,
    group_imports,
)
from server.services.calendar_poll import NewCalendar, poll_one, subscribe
from server.services.events import get_event
from server.services.groups import get_group
from server.services.timezones import common_timezones
from server.uris import LocalUris
from server.web.common import (
    db,
    flash,
    form_text,
    path_id,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)
from server.web.runtime import web_runtime

UPLOAD_LIMIT = 1_000_000


async def _organizer(request: Request, session: AsyncSession) -> tuple[Group, User]:
    user = await require_user(request, session)
    group = await get_group(session, request.path_params["slug"])
    await members.require(session, group, user, "post_as_group")
    return group, user


async def _page(
    request: Request, form: dict[str, str] | None = None, error: HearthError | None = None
) -> Response:
    async with db(request) as session:
        group, user = await _organizer(request, session)
        context: dict[str, Any] = {
            "group": group,
            "imports": await group_imports(session, group),
            "timezones": common_timezones(),
            "form": form or {"timezone": settings_of(request).instance.timezone},
            "error": error,
        }
        status = error.status if error else 200
        return await render(
            request, session, "calendar_imports.html", context, status=status, user=user
        )


async def _subscribe_now(
    request: Request, group: Group, user: User, new: NewCalendar
) -> tuple[CalendarImport, SyncReport]:
    """Add an import and read it at once."""
    settings = settings_of(request)
    app = web_runtime(request)
    found = await subscribe(app.sessions, app.http, LocalUris(settings), settings, group, user, new)
    return found


async def _read_now(request: Request, import_id: int) -> SyncReport:
    """Read a subscribed calendar now."""
    settings = settings_of(request)
    app = web_runtime(request)
    report = await poll_one(
        app.sessions, app.http, LocalUris(settings), settings.calendar_imports, import_id
    )
    return report


async def imports_page(request: Request) -> Response:
    """The group's calendar imports and the forms to add one (organizers)."""
    return await _page(request)


def _summary(report: SyncReport) -> str:
    values = {"new": report.created, "changed": report.updated, "cancelled": report.cancelled}
    return (
        ngettext(
            "%(new)s new, %(changed)s changed and %(cancelled)s cancelled meetup.",
            "%(new)s new, %(changed)s changed and %(cancelled)s cancelled meetups.",
            report.cancelled,
        )
        % values
    )


async def _add(request: Request, new: NewCalendar, form: dict[str, str]) -> Response:
    async with db(request) as session:
        group, user = await _organizer(request, session)
    try:
        item, report = await _subscribe_now(request, group, user, new)
    except HearthError as exc:
        return await _page(request, form, exc)
    flash(
        request,
        _("Imported “%(name)s”: %(summary)s")
        % {"name": item.name or item.url, "summary": _summary(report)},
        "success",
    )
    return redirect(f"/groups/{group.slug}/calendar-imports")


async def add_submit(request: Request) -> Response:
    """Subscribe the group to a calendar link."""
    form = await read_form(request)
    values = {key: form_text(form, key) for key in ("url", "timezone")}
    new = NewCalendar(timezone=values["timezone"], url=values["url"])
    return await _add(request, new, values)


async def upload_submit(request: Request) -> Response:
    """Import the events of an uploaded ``.ics`` file once."""
    form = await read_form(request, max_part_size=UPLOAD_LIMIT, max_files=1)
    try:
        upload = form.get("file")
        values = {"timezone": form_text(form, "timezone")}
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = HearthError(_("Choose an .ics file to import."), field="file")
            return await _page(request, values, error)
        data = await upload.read(UPLOAD_LIMIT + 1)
        new = NewCalendar(timezone=values["timezone"], data=data, filename=upload.filename)
    finally:
        await form.close()
    return await _add(request, new, values)


async def refresh_submit(request: Request) -> Response:
    """Read a subscribed calendar now."""
    await read_form(request)
    import_id = path_id(request, "import_id", _("No such calendar import."))
    async with db(request) as session:
        group, _ignored = await _organizer(request, session)
        await get_import(session, group, import_id)
    report = await _read_now(request, import_id)
    flash(request, _("Calendar read: %(summary)s") % {"summary": _summary(report)})
    return redirect(f"/groups/{group.slug}/calendar-imports")


async def delete_submit(request: Request) -> Response:
    """Stop importing a calendar; its upcoming meetups are cancelled."""
    await read_form(request)
    async with db(request) as session:
        group, _ignored = await _organizer(request, session)
        item = await get_import(session, group, path_id(request, "import_id", _("No such import.")))
        count = await delete_import(session, LocalUris(settings_of(request)), item)
    flash(
        request,
        ngettext(
            "The calendar import was removed and %(count)s upcoming meetup cancelled.",
            "The calendar import was removed and %(count)s upcoming meetups cancelled.",
            count,
        )
        % {"count": count},
    )
    return redirect(f"/groups/{group.slug}/calendar-imports")


async def detach_submit(request: Request) -> Response:
    """Detach an imported meetup so it can be edited here without the import undoing it."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        event = await get_event(session, path_id(request, "event_id", _("No such meetup.")))
        await detach_as(session, user, event)
    flash(request, _("Detached: the calendar import no longer changes this meetup."), "success")
    return redirect(f"/events/{event.id}")


routes = [
    Route("/groups/{slug}/calendar-imports", imports_page, methods=["GET"]),
    Route("/groups/{slug}/calendar-imports", add_submit, methods=["POST"]),
    Route("/groups/{slug}/calendar-imports/upload", upload_submit, methods=["POST"]),
    Route("/groups/{slug}/calendar-imports/{import_id}/refresh", refresh_submit, methods=["POST"]),
    Route("/groups/{slug}/calendar-imports/{import_id}/delete", delete_submit, methods=["POST"]),
    Route("/events/{event_id}/detach", detach_submit, methods=["POST"]),
]
