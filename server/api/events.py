"""``/api/v1`` meetups: list, create (one-off or series), read, update, cancel and delete."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import limits
from server.activitypub.meetup_extras import MeetupFederation
from server.api.common import ApiError, api_user, optional_api_user, read_json
from server.api.schemas import EVENT
from server.api.spec import ApiRoute, Doc, listing, query
from server.config import Settings
from server.db import db
from server.models import Event, EventStatus, Group, JoinMode
from server.request_scope import path_id, settings_of
from server.services import meetup_actions
from server.services import membership as members
from server.services.calendar import EventQuery, upcoming_events
from server.services.events import EventFields, event_tags
from server.services.recurrence import Recurrence
from server.services.timezones import event_when

#: Minutes before the start (``server.services.reminders.REMIND_CHOICES``).
RemindMinutes = Literal[0, 60, 180, 1440, 2880]


class RecurrenceIn(BaseModel):
    """A repeat rule: weekly or monthly, e.g. ``{"frequency": "monthly", "by_day": ["2TU"]}``."""

    model_config = ConfigDict(extra="forbid")

    frequency: Literal["weekly", "monthly"]
    interval: int = limits.REPEAT_INTERVAL.field(1)
    by_day: list[str] = Field(default_factory=list, max_length=7)
    by_month_day: int | None = None
    until: date | None = None
    count: int | None = limits.REPEAT_COUNT.field(None)


class EventIn(BaseModel):
    """A new meetup; ``start`` and ``end`` are wall-clock times in ``timezone``."""

    model_config = ConfigDict(extra="forbid")

    title: str = limits.EVENT_TITLE.field()
    description: str = limits.EVENT_DESCRIPTION.field("", description="Markdown")
    start: datetime = Field(
        description="Local wall-clock time, without offset, e.g. 2026-05-02T14:00"
    )
    end: datetime | None = None
    timezone: str = limits.TIMEZONE.field(description="IANA zone, e.g. Europe/Paris")
    all_day: bool = False
    venue_name: str = limits.VENUE_NAME.field("")
    street: str = limits.STREET.field("")
    postal_code: str = limits.POSTAL_CODE.field("")
    locality: str = limits.LOCALITY.field("")
    country: str = limits.COUNTRY.field("")
    latitude: float | None = limits.LATITUDE.field(None)
    longitude: float | None = limits.LONGITUDE.field(None)
    online_url: str = limits.LINK.field("")
    capacity: int | None = limits.CAPACITY.field(None)
    join_mode: JoinMode = JoinMode.FREE
    external_url: str = limits.LINK.field("")
    visibility: Literal["public", "unlisted", "members"] = "public"
    comments_enabled: bool = True
    remind_minutes: RemindMinutes = Field(
        default=1440, description="Remind attendees this long before the start (0: never)"
    )
    tags: list[str] = limits.EVENT_TAGS.count(default_factory=list)
    recurrence: RecurrenceIn | None = None


class EventPatch(BaseModel):
    """Changes to one meetup; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = limits.EVENT_TITLE.field(None)
    description: str | None = limits.EVENT_DESCRIPTION.field(None)
    start: datetime | None = None
    end: datetime | None = None
    timezone: str | None = Field(default=None, max_length=limits.TIMEZONE.maximum)
    all_day: bool | None = None
    venue_name: str | None = limits.VENUE_NAME.field(None)
    street: str | None = limits.STREET.field(None)
    postal_code: str | None = limits.POSTAL_CODE.field(None)
    locality: str | None = limits.LOCALITY.field(None)
    country: str | None = limits.COUNTRY.field(None)
    online_url: str | None = limits.LINK.field(None)
    capacity: int | None = limits.CAPACITY.field(None)
    join_mode: JoinMode | None = None
    external_url: str | None = limits.LINK.field(None)
    status: EventStatus | None = None
    visibility: Literal["public", "unlisted", "members"] | None = None
    remind_minutes: RemindMinutes | None = None
    tags: list[str] | None = limits.EVENT_TAGS.count(None)


#: The fields a PATCH may set to null: no end (two hours), no capacity (unlimited).
NULLABLE = frozenset({"end", "capacity"})


def _refuse_nulls(changes: dict[str, Any]) -> None:
    """400 for ``null`` in a field that must have a value (``{"title": null}``)."""
    nulls = sorted(
        name for name, value in changes.items() if value is None and name not in NULLABLE
    )
    if nulls:
        detail = [{"field": name, "message": "may not be null"} for name in nulls]
        raise ApiError(400, "invalid_input", detail)


def _naive(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is not None:
        raise ApiError(
            400, "invalid_input", [{"field": field, "message": "give local time without an offset"}]
        )
    return moment


def _fields(data: EventIn) -> EventFields:
    values = data.model_dump(exclude={"start", "end", "recurrence"})
    rule = None
    if data.recurrence is not None:
        r = data.recurrence
        rule = Recurrence(
            r.frequency, r.interval, tuple(r.by_day), r.by_month_day, r.until, r.count
        )
    end = _naive(data.end, "end") if data.end else None
    return EventFields(
        start_local=_naive(data.start, "start"), end_local=end, recurrence=rule, **values
    )


async def event_json(
    session: AsyncSession, settings: Settings, event: Event, group: Group
) -> dict[str, Any]:
    """The API representation of a meetup."""
    return {
        "id": event.id,
        "url": f"{settings.base_url}/events/{event.id}",
        "group": group.slug,
        "title": event.title,
        "description": event.description_md,
        "description_html": event.description_html,
        "start": event.starts_at.isoformat(),
        "end": event.ends_at.isoformat(),
        "timezone": event.timezone,
        "when": event_when(event),
        "all_day": event.all_day,
        "status": event.status,
        "venue_name": event.venue_name,
        "street": event.street,
        "postal_code": event.postal_code,
        "locality": event.locality,
        "country": event.country,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "join_mode": event.join_mode,
        "external_url": event.external_url,
        "visibility": event.visibility,
        "remind_minutes": event.remind_minutes,
        "series_id": event.series_id,
        "sequence": event.sequence,
        "tags": await event_tags(session, event),
    }


def _event_id(request: Request) -> int:
    return path_id(request, "event_id", "No such meetup.")


async def _meetups_json(
    session: AsyncSession, request: Request, meetups: meetup_actions.Meetups
) -> list[dict[str, Any]]:
    settings = settings_of(request)
    return [await event_json(session, settings, event, meetups.group) for event in meetups.events]


async def list_events(request: Request) -> Response:
    """Public upcoming meetups (``group``, ``tag``, ``from``, ``to``, ``page``)."""
    query = EventQuery.from_params(request.query_params)
    if slug := request.path_params.get("slug"):
        query = EventQuery(
            group=slug.lower(), tag=query.tag, start=query.start, end=query.end, page=query.page
        )
    async with db(request) as session:
        rows, total = await upcoming_events(session, query)
        items = [
            await event_json(session, settings_of(request), event, group) for event, group in rows
        ]
    return JSONResponse({"items": items, "total": total, "page": query.page})


async def create(request: Request) -> Response:
    """Create a meetup or series in a group (its admins and moderators)."""

    async def fields() -> EventFields:
        return _fields(await read_json(request, EventIn))

    async with db(request) as session:
        user = await api_user(request, session)
        slug, extras = request.path_params["slug"], MeetupFederation(request)
        created = await meetup_actions.create(
            session, settings_of(request), slug, user, fields, extras
        )
        body = await _meetups_json(session, request, created)
    return JSONResponse(
        body[0] if len(body) == 1 else {"items": body},
        status_code=201,
        headers={"Location": f"/api/v1/events/{created.first.id}"},
    )


async def read(request: Request) -> Response:
    """One public (or unlisted) meetup."""
    async with db(request) as session:
        user = await optional_api_user(request, session)
        event, group, _ = await members.visible_event(session, _event_id(request), user)
        return JSONResponse(await event_json(session, settings_of(request), event, group))


async def _patched(request: Request, current: EventFields) -> EventFields:
    """The meetup's fields with the PATCH body's changes."""
    data = await read_json(request, EventPatch)
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes)
    if "start" in changes:
        changes["start_local"] = _naive(changes.pop("start"), "start")
    if "end" in changes:
        end = changes.pop("end")
        changes["end_local"] = _naive(end, "end") if end else None
    return EventFields(**(asdict(current) | changes))


async def patch(request: Request) -> Response:
    """Change a meetup; followers get an Update and SEQUENCE goes up."""
    async with db(request) as session:
        user = await api_user(request, session)
        meetup, fields = _event_id(request), partial(_patched, request)
        changed = await meetup_actions.edit(
            session, settings_of(request), meetup, user, fields, MeetupFederation(request)
        )
        [body] = await _meetups_json(session, request, changed)
    return JSONResponse(body)


async def cancel(request: Request) -> Response:
    """Cancel a meetup."""
    async with db(request) as session:
        user = await api_user(request, session)
        cancelled = await meetup_actions.cancel(
            session, settings_of(request), _event_id(request), user
        )
        [body] = await _meetups_json(session, request, cancelled)
    return JSONResponse(body)


async def remove(request: Request) -> Response:
    """Delete a meetup for good."""
    async with db(request) as session:
        user = await api_user(request, session)
        await meetup_actions.delete(session, settings_of(request), _event_id(request), user)
    return Response(status_code=204)


EVENT_LIST = listing(EVENT, "total", "page")
#: The listing's filters.
EVENT_QUERY = (
    query("group"),
    query("tag"),
    query("from", format="date"),
    query("to", format="date"),
    query("page", "integer", minimum=1),
)
WRITE_ERRORS = (400, 401, 403, 404, 415)


def _listing(operation_id: str) -> Doc:
    # 400: a NUL in a filter.
    return Doc(
        "List public upcoming meetups",
        operation_id,
        {200: ("Meetups", EVENT_LIST)},
        (400,),
        auth="none",
        query=EVENT_QUERY,
    )


routes = [
    ApiRoute("/api/v1/events", list_events, "GET", _listing("listEvents")),
    ApiRoute("/api/v1/groups/{slug}/events", list_events, "GET", _listing("listGroupEvents")),
    ApiRoute(
        "/api/v1/groups/{slug}/events",
        create,
        "POST",
        Doc(
            "Create a meetup or a series (a list of occurrences)",
            "createEvent",
            {201: ("Created", {"oneOf": [EVENT, EVENT_LIST]})},
            WRITE_ERRORS,
            body=EventIn,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}",
        read,
        "GET",
        Doc("Read a meetup", "getEvent", {200: ("The meetup", EVENT)}, (404,), auth="none"),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}",
        patch,
        "PATCH",
        Doc(
            "Change a meetup",
            "updateEvent",
            {200: ("Changed", EVENT)},
            WRITE_ERRORS,
            body=EventPatch,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}",
        remove,
        "DELETE",
        Doc("Delete a meetup", "deleteEvent", {204: ("Deleted", None)}, (401, 403, 404)),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/cancel",
        cancel,
        "POST",
        Doc("Cancel a meetup", "cancelEvent", {200: ("Cancelled", EVENT)}, (401, 403, 404)),
    ),
]
