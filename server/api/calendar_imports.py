"""``/api/v1`` calendar imports: subscribe a group to an external calendar (or import an
``.ics`` file once), list, read again now, remove; detach an imported meetup."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.activitypub.runtime import runtime
from server.api.common import ApiError, api_user, read_json
from server.api.schemas import BOOL, INT, STR
from server.api.spec import ERROR, ApiRoute, Doc, listing, obj, query
from server.db import db
from server.models import CalendarImport, Group, User
from server.request_scope import path_id, settings_of
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
from server.uris import LocalUris

CALENDAR_TYPES = ("text/calendar", "application/ics")


class CalendarImportIn(BaseModel):
    """A calendar to subscribe to: its ICS link (``webcal://`` works too)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="Zone of times without one (default: the calendar's, else the instance's)",
    )


class CalendarImportOut(BaseModel):
    """A calendar import and how its last read went."""

    id: int
    kind: str = Field(description="url (polled) or file (imported once)")
    url: str
    name: str
    timezone: str
    event_count: int
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    failures: int
    last_error: str
    created: int | None = Field(default=None, description="Meetups made by this read")
    updated: int | None = None
    cancelled: int | None = None


def import_json(item: CalendarImport, report: SyncReport | None = None) -> dict[str, object]:
    """The API shape of an import (with what the read just done changed, if any)."""
    out = CalendarImportOut(
        id=item.id or 0,
        kind=item.kind,
        url=item.url,
        name=item.name,
        timezone=item.timezone,
        event_count=item.event_count,
        last_polled_at=item.last_polled_at,
        last_success_at=item.last_success_at,
        next_poll_at=item.next_poll_at,
        failures=item.failures,
        last_error=item.last_error,
    )
    if report is not None:
        out.created, out.updated, out.cancelled = report.created, report.updated, report.cancelled
    return out.model_dump(mode="json", exclude_none=report is None)


async def _organizer(request: Request, session: AsyncSession) -> tuple[Group, User]:
    user = await api_user(request, session)
    group = await get_group(session, request.path_params["slug"])
    await members.require(session, group, user, "post_as_group")
    return group, user


def _import_id(request: Request) -> int:
    return path_id(request, "import_id", "No such calendar import.")


async def list_imports(request: Request) -> Response:
    """The group's calendar imports (its admins and moderators)."""
    async with db(request) as session:
        group, _ = await _organizer(request, session)
        items = [import_json(item) for item in await group_imports(session, group)]
    return JSONResponse({"items": items})


async def _new_calendar(request: Request) -> NewCalendar:
    settings = settings_of(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in CALENDAR_TYPES:
        timezone = request.query_params.get("timezone") or settings.instance.timezone
        name = request.query_params.get("filename", "calendar.ics")
        return NewCalendar(timezone=timezone, data=await request.body(), filename=name)
    data = await read_json(request, CalendarImportIn)
    return NewCalendar(timezone=data.timezone or settings.instance.timezone, url=data.url)


async def create(request: Request) -> Response:
    """Subscribe the group to a calendar (JSON ``{"url": …}``), or import a ``text/calendar``
    body once; the calendar is read at once and refused (422) if it cannot be."""
    async with db(request) as session:
        group, user = await _organizer(request, session)
    new, settings, app = await _new_calendar(request), settings_of(request), runtime(request)
    uris = LocalUris(settings)
    item, report = await subscribe(app.sessions, app.http, uris, settings, group, user, new)
    location = f"/api/v1/groups/{group.slug}/calendar-imports/{item.id}"
    return JSONResponse(import_json(item, report), status_code=201, headers={"Location": location})


async def read(request: Request) -> Response:
    """One calendar import and how its last read went."""
    async with db(request) as session:
        group, _ = await _organizer(request, session)
        return JSONResponse(import_json(await get_import(session, group, _import_id(request))))


async def refresh(request: Request) -> Response:
    """Read the calendar now (a failure is recorded on the import, as for the worker)."""
    async with db(request) as session:
        group, _ = await _organizer(request, session)
        item = await get_import(session, group, _import_id(request))
        if item.kind != "url":
            raise ApiError(409, "not_subscribed", "An imported file is not read again.")
    settings, app = settings_of(request), runtime(request)
    report = await poll_one(
        app.sessions, app.http, LocalUris(settings), settings.calendar_imports, item.id or 0
    )
    async with db(request) as session:
        item = await get_import(session, group, _import_id(request))
        return JSONResponse(import_json(item, report))


async def remove(request: Request) -> Response:
    """Stop importing: upcoming meetups of the calendar (not detached ones) are cancelled."""
    async with db(request) as session:
        group, _ = await _organizer(request, session)
        item = await get_import(session, group, _import_id(request))
        await delete_import(session, LocalUris(settings_of(request)), item)
    return Response(status_code=204)


async def detach_event(request: Request) -> Response:
    """Detach an imported meetup: the import no longer changes it."""
    async with db(request) as session:
        user = await api_user(request, session)
        event = await get_event(session, path_id(request, "event_id", "No such meetup."))
        link = await detach_as(session, user, event)
        return JSONResponse({"event_id": event.id, "uid": link.uid, "detached": link.detached})


UNREADABLE = "The calendar could not be fetched or read (the reason is in detail)"
DETACHED = obj(event_id=INT, uid=STR, detached=BOOL)
routes = [
    ApiRoute(
        "/api/v1/groups/{slug}/calendar-imports",
        list_imports,
        "GET",
        Doc(
            "The group's calendar imports (admins and moderators)",
            "listCalendarImports",
            {200: ("Imports", listing(CalendarImportOut))},
            (401, 403, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/calendar-imports",
        create,
        "POST",
        Doc(
            "Subscribe the group to an ICS/webcal calendar (JSON), or import an .ics body "
            "once; read at once, its events become meetups",
            "createCalendarImport",
            {201: ("Imported", CalendarImportOut), 422: (UNREADABLE, ERROR)},
            (400, 401, 403, 404, 415),
            body=CalendarImportIn,
            other_bodies={
                "text/calendar": {"type": "string", "description": "An .ics file, imported once"}
            },
            query=(query("timezone"), query("filename")),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/calendar-imports/{import_id}",
        read,
        "GET",
        Doc(
            "One import",
            "getCalendarImport",
            {200: ("The import", CalendarImportOut)},
            (401, 403, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/calendar-imports/{import_id}",
        remove,
        "DELETE",
        Doc(
            "Stop importing; upcoming meetups not detached are cancelled",
            "deleteCalendarImport",
            {204: ("Done", None)},
            (401, 403, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/calendar-imports/{import_id}/refresh",
        refresh,
        "POST",
        Doc(
            "Read the calendar now",
            "refreshCalendarImport",
            {200: ("The import", CalendarImportOut)},
            (401, 403, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/detach",
        detach_event,
        "POST",
        Doc(
            "Detach an imported meetup: the import no longer changes it",
            "detachImportedEvent",
            {200: ("Detached", DETACHED)},
            (400, 401, 403, 404),
        ),
    ),
]
