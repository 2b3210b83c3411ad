"""Reading subscribed calendars: the first read when an organizer adds one, and the
worker's polite polls after that (conditional GET, the configured interval, backoff).

Fetching happens outside any transaction (through the app's safe client: public addresses
only, size and time limits); each read is then applied in a transaction of its own. A
failed read changes no meetup: its reason is shown on the import and the next try waits
twice as long as the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.fetch import FetchError
from federation.fetch_file import FetchedFile, fetch_file
from server.config import CalendarImportsConfig, Settings
from server.db import transaction, utcnow
from server.errors import HearthError
from server.i18n import _
from server.models import CalendarImport, Group, User, read_id
from server.services.calendar_import import (
    SyncReport,
    announce_due_imports,
    apply_calendar,
    calendar_url,
    new_import,
    next_poll,
)
from server.services.calendar_reading import CalendarError, ReadCalendar, read_calendar
from server.services.timezones import zone
from server.uris import LocalUris

ACCEPT = "text/calendar, text/plain;q=0.5, */*;q=0.1"
PER_ROUND = 10
#: A claimed import is not claimed again by another worker before this has passed.
CLAIM = timedelta(minutes=10)


class CalendarUnreadable(HearthError):
    """The calendar could not be fetched or read (shown to the organizer)."""

    status = 422


@dataclass(frozen=True)
class Fetched:
    """A calendar fetched and read (``read`` is None when it had not changed)."""

    file: FetchedFile
    read: ReadCalendar | None


async def fetch_and_read(
    http: httpx.AsyncClient, item: CalendarImport, config: CalendarImportsConfig
) -> Fetched:
    """Fetch the import's URL (conditionally) and read it; raises CalendarUnreadable."""
    try:
        fetched = await fetch_file(
            http,
            item.url,
            accept=ACCEPT,
            etag=item.etag,
            last_modified=item.last_modified,
            max_bytes=config.max_bytes,
            timeout=config.timeout_seconds,
        )
    except FetchError as exc:
        raise CalendarUnreadable(
            _("The calendar could not be fetched: %(error)s") % {"error": exc}, field="url"
        ) from None
    if fetched.not_modified:
        return Fetched(fetched, None)
    return Fetched(fetched, read_bytes(fetched.body, item.timezone))


def read_bytes(data: bytes, timezone: str) -> ReadCalendar:
    """Read calendar data; CalendarUnreadable says what is wrong with it."""
    try:
        return read_calendar(data, timezone, utcnow())
    except CalendarError as exc:
        raise CalendarUnreadable(exc.message, field="url") from None


def record_read(
    item: CalendarImport, fetched: Fetched | None, config: CalendarImportsConfig
) -> None:
    """A good read: validators kept for the next conditional GET, the next poll scheduled."""
    now = utcnow()
    item.last_polled_at = item.last_success_at = now
    item.failures, item.last_error = 0, ""
    if fetched is not None and (fetched.file.etag or fetched.file.last_modified):
        item.etag, item.last_modified = fetched.file.etag, fetched.file.last_modified
    if item.kind == "url":
        item.next_poll_at = next_poll(
            item, poll_minutes=config.poll_minutes, max_backoff_hours=config.max_backoff_hours
        )


def record_failure(item: CalendarImport, reason: str, config: CalendarImportsConfig) -> None:
    """A failed read: the reason shown on the import, the next try backed off."""
    item.last_polled_at = utcnow()
    item.failures += 1
    item.last_error = reason[:1000]
    item.next_poll_at = next_poll(
        item, poll_minutes=config.poll_minutes, max_backoff_hours=config.max_backoff_hours
    )


async def _claim(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    """Due imports, each pushed back by CLAIM so no other worker reads it meanwhile."""
    now = utcnow()
    async with transaction(sessions) as session:
        rows = await session.exec(
            select(CalendarImport.id, CalendarImport.next_poll_at)
            .where(col(CalendarImport.next_poll_at) <= now, CalendarImport.kind == "url")
            .order_by(col(CalendarImport.next_poll_at))
            .limit(PER_ROUND)
        )
        claimed = []
        for import_id, due_at in rows.all():
            result = await session.exec(
                update(CalendarImport)
                .where(col(CalendarImport.id) == import_id)
                .where(col(CalendarImport.next_poll_at) == due_at)
                .values(next_poll_at=now + CLAIM)
            )
            if result.rowcount == 1:
                claimed.append(read_id(import_id))
    return claimed


async def poll_one(
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    uris: LocalUris,
    config: CalendarImportsConfig,
    import_id: int,
) -> SyncReport:
    """Read one import now and apply what changed (failures are recorded on the import)."""
    async with sessions() as session:
        item = await session.get(CalendarImport, import_id)
        if item is None:
            return SyncReport()
        session.expunge(item)
    try:
        fetched: Fetched | None = await fetch_and_read(http, item, config)
    except CalendarUnreadable as exc:
        fetched, reason = None, exc.message
    try:
        async with transaction(sessions) as session:
            current = await session.get(CalendarImport, import_id)
            if current is None:
                return SyncReport()
            if fetched is None:
                record_failure(current, reason, config)
                return SyncReport()
            report = SyncReport()
            if fetched.read is not None:
                report = await apply_calendar(session, uris, current, fetched.read)
            record_read(current, fetched, config)
            return report
    except HearthError as exc:  # e.g. no admin left: say so, change nothing
        async with transaction(sessions) as session:
            current = await session.get(CalendarImport, import_id)
            if current is not None:
                record_failure(current, exc.message, config)
        return SyncReport()


async def poll_due(
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    uris: LocalUris,
    config: CalendarImportsConfig,
) -> int:
    """The worker's job: read the calendars that are due, announce imported occurrences
    that came due; returns how many meetups changed."""
    changes = 0
    for import_id in await _claim(sessions):
        changes += (await poll_one(sessions, http, uris, config, import_id)).changes
    async with transaction(sessions) as session:
        changes += await announce_due_imports(session, uris)
    return changes


@dataclass(frozen=True)
class NewCalendar:
    """What an organizer gives: a URL to subscribe to, or the bytes of a file to import once."""

    timezone: str
    url: str = ""
    data: bytes | None = None
    filename: str = ""


async def subscribe(
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    uris: LocalUris,
    settings: Settings,
    group: Group,
    user: User,
    new: NewCalendar,
) -> tuple[CalendarImport, SyncReport]:
    """Add an import and read it at once: a calendar that cannot be fetched or read is
    refused (CalendarUnreadable, InvalidInput) and nothing is stored."""
    config = settings.calendar_imports
    zone(new.timezone)
    if new.data is None:
        url = calendar_url(new.url, allow_private=settings.federation.allow_private_addresses)
        probe = CalendarImport(group_id=group.id or 0, url=url, timezone=new.timezone)
        fetched: Fetched | None = await fetch_and_read(http, probe, config)
        read = fetched.read if fetched is not None else None
        kind = "url"
    else:
        if len(new.data) > config.max_bytes:
            raise CalendarUnreadable(
                _("The file is larger than %(max_bytes)s bytes.")
                % {"max_bytes": f"{config.max_bytes:,}"}
            )
        read, fetched = read_bytes(new.data, new.timezone), None
        url, kind = (new.filename or "calendar.ics")[:200], "file"
    async with transaction(sessions) as session:
        item = await new_import(session, group, user, kind=kind, url=url, timezone=new.timezone)
        report = await apply_calendar(session, uris, item, read) if read else SyncReport()
        record_read(item, fetched, config)
        await session.flush()
        session.expunge(item)
    return item, report
