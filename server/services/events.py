"""Meetups: creating, editing, cancelling and listing events and recurring series."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.addresses import is_http_url
from server import limits
from server.db import is_row_id, utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.inputs import FIRST_YEAR, LAST_YEAR, in_date_range
from server.markup import render_markdown
from server.models import (
    EVENT_STATUSES,
    EVENT_VISIBILITIES,
    JOIN_MODES,
    Event,
    EventSeries,
    EventStatus,
    EventTag,
    Group,
    JoinMode,
    User,
    stored_id,
)
from server.services.groups import parse_tags
from server.services.recurrence import Recurrence, occurrences, parse_rrule
from server.services.reminders import REMIND_CHOICES, rearm_reminders
from server.services.timezones import local_to_utc, zone

MAX_DURATION = timedelta(days=14)


@dataclass
class EventFields:
    """What an organizer fills in; times are naive wall-clock times in ``timezone``."""

    title: str
    start_local: datetime
    end_local: datetime | None
    timezone: str
    description: str = ""
    all_day: bool = False
    venue_name: str = ""
    street: str = ""
    postal_code: str = ""
    locality: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    online_url: str = ""
    capacity: int | None = None
    join_mode: str = "free"
    external_url: str = ""
    status: str = "confirmed"
    visibility: str = "public"
    comments_enabled: bool = True
    remind_minutes: int = 1440
    tags: list[str] = field(default_factory=list)
    recurrence: Recurrence | None = None


def _check_text(fields: EventFields) -> None:
    if not limits.EVENT_TITLE.allows(fields.title.strip()):
        raise InvalidInput(_("Give the meetup a title of 1 to 200 characters."), field="title")
    if not limits.EVENT_DESCRIPTION.allows(fields.description):
        raise InvalidInput(_("Keep the description under 10,000 characters."), field="description")
    for name, limit in (
        ("venue_name", limits.VENUE_NAME),
        ("street", limits.STREET),
        ("postal_code", limits.POSTAL_CODE),
        ("locality", limits.LOCALITY),
        ("country", limits.COUNTRY),
    ):
        if not limit.allows(getattr(fields, name)):
            raise InvalidInput(
                _("Keep this under %(limit)s characters.") % {"limit": limit.maximum}, field=name
            )


def _check_choices(fields: EventFields) -> None:
    if fields.join_mode not in JOIN_MODES:
        raise InvalidInput(_("Joining is free, restricted, invite or external."), field="join_mode")
    if fields.status not in EVENT_STATUSES:
        raise InvalidInput(_("Status is confirmed, tentative or cancelled."), field="status")
    if fields.visibility not in EVENT_VISIBILITIES:
        raise InvalidInput(_("Visibility is public, unlisted or members."), field="visibility")
    if fields.capacity is not None and not limits.CAPACITY.allows(fields.capacity):
        raise InvalidInput(_("Capacity is a number of people from 1 to 100,000."), field="capacity")
    for name in ("online_url", "external_url"):
        value = getattr(fields, name)
        if value and (not is_http_url(value) or not limits.LINK.allows(value)):
            raise InvalidInput(_("Enter a link starting with https:// or http://."), field=name)
    if fields.join_mode == JoinMode.EXTERNAL and not fields.external_url:
        raise InvalidInput(_("Give the link where people register."), field="external_url")
    if len(fields.tags) > limits.EVENT_TAGS.maximum:
        raise InvalidInput(_("Use at most 10 tags."), field="tags")
    if fields.remind_minutes not in REMIND_CHOICES:
        raise InvalidInput(
            _("Remind attendees 1 or 3 hours, or 1 or 2 days before, or not at all."),
            field="remind_minutes",
        )
    for coordinate, bound, message in (
        ("latitude", 90, _("Latitude is between -90 and 90.")),
        ("longitude", 180, _("Longitude is between -180 and 180.")),
    ):
        value = getattr(fields, coordinate)
        if value is not None and not (math.isfinite(value) and -bound <= value <= bound):
            raise InvalidInput(message, field=coordinate)
    if (fields.latitude is None) != (fields.longitude is None):
        raise InvalidInput(_("Give both latitude and longitude, or neither."), field="latitude")


def utc_span(fields: EventFields) -> tuple[datetime, datetime]:
    """Start and end in UTC, checked (DST gaps, order, length); all-day events span whole days."""
    tz = zone(fields.timezone)
    for name, moment in (("start", fields.start_local), ("end", fields.end_local)):
        if moment is not None and not in_date_range(moment.date()):
            raise InvalidInput(
                _("Choose a date between %(first_year)s and %(last_year)s.")
                % {"first_year": FIRST_YEAR, "last_year": LAST_YEAR},
                field=name,
            )
    start_local = fields.start_local
    end_local = fields.end_local
    if fields.all_day:
        start_local = start_local.replace(hour=0, minute=0, second=0, microsecond=0)
        last_day = (end_local or start_local).replace(hour=0, minute=0, second=0, microsecond=0)
        end_local = last_day + timedelta(days=1)
    elif end_local is None:
        end_local = start_local + timedelta(hours=2)
    start = local_to_utc(start_local, tz, field="start")
    end = (
        local_to_utc(end_local, tz, field="end")
        if not fields.all_day
        else end_local.replace(tzinfo=tz)
    )
    if end <= start:
        raise InvalidInput(_("The meetup must end after it starts."), field="end")
    if end - start > MAX_DURATION:
        raise InvalidInput(_("A meetup lasts at most 14 days."), field="end")
    return start, end


def check_fields(fields: EventFields) -> tuple[datetime, datetime]:
    """Validate everything; returns the UTC span."""
    _check_text(fields)
    _check_choices(fields)
    if fields.recurrence is not None:
        fields.recurrence.check()
    return utc_span(fields)


def _apply(event: Event, fields: EventFields, start: datetime, end: datetime) -> None:
    event.title = fields.title.strip()
    event.description_md = fields.description
    event.description_html = render_markdown(fields.description)
    event.starts_at, event.ends_at = start, end
    event.timezone = fields.timezone
    event.all_day = fields.all_day
    for name in ("venue_name", "street", "postal_code", "locality", "country"):
        setattr(event, name, getattr(fields, name).strip())
    for name in (
        "latitude",
        "longitude",
        "capacity",
        "join_mode",
        "status",
        "visibility",
        "comments_enabled",
        "remind_minutes",
    ):
        setattr(event, name, getattr(fields, name))
    event.online_url = fields.online_url.strip()
    event.external_url = fields.external_url.strip()
    event.updated_at = utcnow()


def _mark_edited(event: Event, edited_before: datetime) -> None:
    """A new version: SEQUENCE goes up (calendars) and ``updated_at`` is at least a whole
    second after the version before, so the ``updated`` peers see (whole seconds) is newer
    for every edit — Mastodon ignores an edit whose ``updated`` is not."""
    event.sequence += 1
    event.updated_at = max(utcnow(), edited_before.replace(microsecond=0) + timedelta(seconds=1))


async def set_tags(session: AsyncSession, event: Event, tags: list[str]) -> None:
    await session.exec(delete(EventTag).where(col(EventTag.event_id) == event.id))
    for tag in parse_tags(tags):
        session.add(EventTag(event_id=stored_id(event), tag=tag))


async def create_events(
    session: AsyncSession, group: Group, author: User, fields: EventFields
) -> list[Event]:
    """Create a meetup, or each occurrence of a series in the coming year (caller federates)."""
    start, end = check_fields(fields)
    if fields.recurrence is None:
        return [await _new_event(session, group, author, fields, start, end, None)]
    rule = fields.recurrence.to_rrule()
    series = EventSeries(
        group_id=group.id or 0,
        rrule=rule,
        timezone=fields.timezone,
        first_start_local=fields.start_local.isoformat(timespec="seconds"),
        duration_minutes=int((end - start).total_seconds() // 60),
    )
    session.add(series)
    await session.flush()
    starts = occurrences(rule, fields.start_local, zone(fields.timezone), after=None)
    if not starts:
        raise InvalidInput(
            _("This repeat rule gives no date: check the days and the end."), field="by_day"
        )
    duration = end - start
    events = []
    for occurrence_start in starts:
        event = await _new_event(
            session, group, author, fields, occurrence_start, occurrence_start + duration, series.id
        )
        event.recurrence_id_at = occurrence_start
        events.append(event)
    return events


async def _new_event(
    session: AsyncSession,
    group: Group,
    author: User,
    fields: EventFields,
    start: datetime,
    end: datetime,
    series_id: int | None,
) -> Event:
    event = Event(
        group_id=group.id or 0,
        series_id=series_id,
        title="",
        starts_at=start,
        ends_at=end,
        timezone=fields.timezone,
        created_by_id=author.id,
    )
    _apply(event, fields, start, end)
    session.add(event)
    await session.flush()
    await set_tags(session, event, fields.tags)
    return event


async def update_event(session: AsyncSession, event: Event, fields: EventFields) -> Event:
    """Change one meetup (detaching it from its series); SEQUENCE goes up for calendars."""
    start, end = check_fields(replace(fields, recurrence=None))
    moved = start != event.starts_at
    edited_before = event.updated_at
    _apply(event, fields, start, end)
    if moved:
        await rearm_reminders(session, event)
    _mark_edited(event, edited_before)
    event.is_detached = event.series_id is not None
    session.add(event)
    await set_tags(session, event, fields.tags)
    await session.flush()
    return event


async def update_series(session: AsyncSession, event: Event, fields: EventFields) -> list[Event]:
    """Apply changes to every upcoming, not individually edited occurrence of the event's series.

    Dates keep their day; the time of day and the length come from the new fields.
    """
    if event.series_id is None:
        return [await update_event(session, event, fields)]
    check_fields(replace(fields, recurrence=None))
    tz = zone(fields.timezone)
    length = (fields.end_local or fields.start_local + timedelta(hours=2)) - fields.start_local
    changed = []
    for occurrence in await series_events(session, event.series_id, upcoming_only=True):
        if occurrence.is_detached and occurrence.id != event.id:
            continue
        day = occurrence.starts_at.astimezone(tz).date()
        local_start = datetime.combine(day, fields.start_local.time())
        local_fields = replace(
            fields, start_local=local_start, end_local=local_start + length, recurrence=None
        )
        start, end = utc_span(local_fields)
        if start != occurrence.starts_at:
            await rearm_reminders(session, occurrence)
        edited_before = occurrence.updated_at
        _apply(occurrence, local_fields, start, end)
        _mark_edited(occurrence, edited_before)
        session.add(occurrence)
        await set_tags(session, occurrence, fields.tags)
        changed.append(occurrence)
    await session.flush()
    return changed


async def cancel_event(session: AsyncSession, event: Event) -> Event:
    """Mark a meetup cancelled (it stays visible, struck through, and calendars are told)."""
    event.status = EventStatus.CANCELLED
    _mark_edited(event, event.updated_at)
    session.add(event)
    await session.flush()
    return event


COPIED_FIELDS = (
    "all_day",
    "venue_name",
    "street",
    "postal_code",
    "locality",
    "country",
    "latitude",
    "longitude",
    "online_url",
    "capacity",
    "join_mode",
    "external_url",
    "status",
    "visibility",
    "comments_enabled",
    "remind_minutes",
)


def fields_of(event: Event, tags: list[str]) -> EventFields:
    """A stored meetup's values as form fields (wall clock in its zone; all-day: last day)."""
    tz = zone(event.timezone)
    start = event.starts_at.astimezone(tz).replace(tzinfo=None)
    end = event.ends_at.astimezone(tz).replace(tzinfo=None)
    if event.all_day:
        end -= timedelta(days=1)
    fields = EventFields(
        title=event.title,
        description=event.description_md,
        start_local=start,
        end_local=end,
        timezone=event.timezone,
        tags=list(tags),
    )
    for name in COPIED_FIELDS:
        setattr(fields, name, getattr(event, name))
    return fields


async def get_event(session: AsyncSession, event_id: int) -> Event:
    """The event with this id, or NotFound."""
    event = await session.get(Event, event_id) if is_row_id(event_id) else None
    if event is None:
        raise NotFound(_("No such meetup."))
    return event


async def event_tags(session: AsyncSession, event: Event) -> list[str]:
    """The event's tags in the order given."""
    rows = await session.exec(
        select(EventTag.tag).where(EventTag.event_id == event.id).order_by(col(EventTag.id))
    )
    return list(rows.all())


async def series_events(
    session: AsyncSession, series_id: int, *, upcoming_only: bool
) -> list[Event]:
    """The occurrences of a series by date."""
    query = select(Event).where(Event.series_id == series_id)
    if upcoming_only:
        query = query.where(col(Event.ends_at) >= utcnow())
    return list((await session.exec(query.order_by(col(Event.starts_at)))).all())


async def series_rule(session: AsyncSession, series_id: int | None) -> Recurrence | None:
    """The repeat rule of a series, for display and editing."""
    if series_id is None:
        return None
    series = await session.get(EventSeries, series_id)
    return parse_rrule(series.rrule) if series else None
