"""Open-ended series grow as time passes: the worker adds the next year of occurrences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import utcnow
from server.models import Event, EventSeries, EventStatus
from server.services.events import event_tags, set_tags
from server.services.recurrence import HORIZON, occurrences
from server.services.timezones import zone

EXTEND_WHEN_WITHIN = timedelta(days=330)


async def extend_series(session: AsyncSession, now: datetime | None = None) -> int:
    """Create the next occurrences of open-ended series as time passes (a year ahead).

    New occurrences copy the latest one (title, place, time of day, and its SEQUENCE so
    calendars keep showing them as it was edited); returns how many were created.
    """
    now = now or utcnow()
    latest = await session.exec(
        select(Event.series_id, func.max(Event.recurrence_id_at))
        .where(col(Event.series_id).is_not(None))
        .group_by(col(Event.series_id))
        .having(func.max(Event.recurrence_id_at) < now + EXTEND_WHEN_WITHIN)
    )
    created = 0
    for series_id, last_start in latest.all():
        series = await session.get(EventSeries, series_id)
        if series is None or last_start is None:
            continue
        created += await _extend_one(session, series, last_start, now)
    return created


async def _extend_one(
    session: AsyncSession, series: EventSeries, last_start: datetime, now: datetime
) -> int:
    tz = zone(series.timezone)
    template = (
        await session.exec(
            select(Event)
            .where(Event.series_id == series.id)
            .order_by(col(Event.recurrence_id_at).desc())
        )
    ).first()
    if template is None:
        return 0
    tags = await event_tags(session, template)
    first_local = datetime.fromisoformat(series.first_start_local)
    length = template.ends_at - template.starts_at
    clock = template.starts_at.astimezone(tz).time()
    starts = occurrences(series.rrule, first_local, tz, after=last_start + timedelta(seconds=1))
    created = 0
    for rule_start in starts:
        if rule_start > now + HORIZON:
            break
        local = datetime.combine(rule_start.astimezone(tz).date(), clock)
        start = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        event = Event(
            **template.model_dump(
                exclude={
                    "id",
                    "starts_at",
                    "ends_at",
                    "recurrence_id_at",
                    "federated_at",
                    "is_detached",
                    "created_at",
                    "updated_at",
                    "status",
                }
            ),
            starts_at=start,
            ends_at=start + length,
            recurrence_id_at=rule_start,
            status=EventStatus.CONFIRMED,
        )
        session.add(event)
        await session.flush()
        await set_tags(session, event, tags)
        created += 1
    return created
