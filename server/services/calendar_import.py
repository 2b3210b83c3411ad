"""Calendar imports: a group's meetups kept in step with an external calendar.

Each occurrence read from the calendar (:mod:`server.services.calendar_reading`) is one
meetup, made and changed through the meetup service and federated like a meetup made in
the web UI: new ones get a ``Create`` (occurrences of a recurring event when they come
within ``ANNOUNCE_AHEAD``, as Hearth's own series do), changed ones an ``Update``, and
ones that left the calendar or say ``STATUS:CANCELLED`` are cancelled. A meetup an
organizer detached is never touched again. One read is applied in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.addresses import InvalidHostError, ip_literal, is_public_address, parse_http_url
from server.db import utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.models import CalendarImport, Event, EventStatus, Group, ImportedEvent, Membership, User
from server.services import membership as members
from server.services.calendar_reading import Occurrence, ReadCalendar
from server.services.event_publishing import ANNOUNCE_AHEAD, publish_changes, publish_new
from server.services.events import (
    EventFields,
    cancel_event,
    create_events,
    event_tags,
    fields_of,
    update_event,
)
from server.services.timezones import zone
from server.uris import LocalUris

MAX_IMPORTS_PER_GROUP = 10


@dataclass(frozen=True)
class SyncReport:
    """What applying one read of a calendar did."""

    created: int = 0
    updated: int = 0
    cancelled: int = 0

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.cancelled


def calendar_url(raw: str, *, allow_private: bool = False) -> str:
    """The http(s) URL to poll: ``webcal://`` means ``https://``; other schemes, URLs with
    credentials and private addresses are refused (InvalidInput)."""
    url = raw.strip()
    lowered = url.lower()
    for prefix in ("webcals://", "webcal://"):
        if lowered.startswith(prefix):
            url = "https://" + url[len(prefix) :]
    if len(url) > 2048:
        raise InvalidInput(_("Keep the calendar link under 2,048 characters."), field="url")
    try:
        parts = parse_http_url(url)
    except InvalidHostError:
        raise InvalidInput(
            _("Give the calendar's link: it starts with https://, http:// or webcal://."),
            field="url",
        ) from None
    host = (parts.hostname or "").lower()
    literal = ip_literal(host)
    local = host == "localhost" or host.endswith(".localhost")
    if not allow_private and (local or (literal is not None and not is_public_address(literal))):
        raise InvalidInput(
            _("%(host)s is a private address: Hearth only reads calendars on the public internet.")
            % {"host": host},
            field="url",
        )
    return url


async def group_imports(session: AsyncSession, group: Group) -> list[CalendarImport]:
    """The group's calendar imports, oldest first."""
    rows = await session.exec(
        select(CalendarImport)
        .where(CalendarImport.group_id == group.id)
        .order_by(col(CalendarImport.id))
    )
    return list(rows.all())


async def get_import(session: AsyncSession, group: Group, import_id: int) -> CalendarImport:
    """One import of the group, or NotFound."""
    found = await session.get(CalendarImport, import_id) if 0 < import_id < 2**62 else None
    if found is None or found.group_id != group.id:
        raise NotFound(_("No such calendar import."))
    return found


async def new_import(
    session: AsyncSession, group: Group, user: User, *, kind: str, url: str, timezone: str
) -> CalendarImport:
    """A new import (not yet read); at most ``MAX_IMPORTS_PER_GROUP`` per group."""
    zone(timezone)
    existing = await group_imports(session, group)
    if len(existing) >= MAX_IMPORTS_PER_GROUP:
        raise InvalidInput(
            _("A group can import at most %(max)s calendars.") % {"max": MAX_IMPORTS_PER_GROUP}
        )
    if kind == "url" and any(item.url == url for item in existing):
        raise InvalidInput(_("This group already imports that calendar."), field="url")
    item = CalendarImport(
        group_id=group.id or 0, kind=kind, url=url, timezone=timezone, created_by_id=user.id
    )
    session.add(item)
    await session.flush()
    return item


def _fields(occurrence: Occurrence, base: EventFields | None) -> EventFields:
    """The meetup form filled from an occurrence (other settings kept from ``base``)."""
    tz = ZoneInfo(occurrence.timezone)
    start = occurrence.starts_at.astimezone(tz).replace(tzinfo=None)
    end = occurrence.ends_at.astimezone(tz).replace(tzinfo=None)
    if occurrence.all_day:
        end = max(start, end - timedelta(days=1))
    description = occurrence.description
    if occurrence.url:
        more = _("More: <%(url)s>") % {"url": occurrence.url}
        description = f"{description}\n\n{more}".strip()
    values = {
        "title": occurrence.title,
        "description": description[:10_000],
        "start_local": start,
        "end_local": end,
        "timezone": occurrence.timezone,
        "all_day": occurrence.all_day,
        "venue_name": occurrence.location[:200],
        "online_url": occurrence.online_url,
        "latitude": occurrence.latitude,
        "longitude": occurrence.longitude,
        "status": occurrence.status,
    }
    if occurrence.latitude is None or occurrence.longitude is None:
        values["latitude"] = values["longitude"] = None
    if base is None:
        return EventFields(**values)  # type: ignore[arg-type]
    return replace(base, **values)  # type: ignore[arg-type]


async def _author(session: AsyncSession, item: CalendarImport) -> User:
    """Who the meetups are made by: whoever added the import, else an admin of the group."""
    user = await session.get(User, item.created_by_id) if item.created_by_id else None
    if user is not None:
        return user
    admin = (
        await session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(Membership.group_id == item.group_id, Membership.role == "admin")
        )
    ).first()
    if admin is None:
        raise InvalidInput(_("The group has no admin left to own imported meetups."))
    return admin


def _due(event: Event, recurring: bool) -> bool:
    return not recurring or event.starts_at <= utcnow() + ANNOUNCE_AHEAD


async def apply_calendar(
    session: AsyncSession, uris: LocalUris, item: CalendarImport, read: ReadCalendar
) -> SyncReport:
    """Create, update and cancel the group's meetups so they match the calendar read."""
    group = await session.get(Group, item.group_id)
    if group is None:
        raise NotFound(_("No such group."))
    author = await _author(session, item)
    rows = await session.exec(select(ImportedEvent).where(ImportedEvent.import_id == item.id))
    links = {(link.uid, link.recurrence_key): link for link in rows.all()}
    created = updated = cancelled = 0
    for occurrence in read.occurrences:
        link = links.pop((occurrence.uid, occurrence.recurrence_key), None)
        if link is None:
            if occurrence.status != EventStatus.CANCELLED:
                await _create(session, uris, group, author, item, occurrence)
                created += 1
        elif not link.detached and link.fingerprint != occurrence.fingerprint:
            event = await session.get(Event, link.event_id)
            link.fingerprint = occurrence.fingerprint
            session.add(link)
            if event is not None:
                was_cancelled = event.status == EventStatus.CANCELLED
                await _update(session, uris, group, event, occurrence)
                cancelled += not was_cancelled and event.status == EventStatus.CANCELLED
                updated += was_cancelled or event.status != EventStatus.CANCELLED
    for link in links.values():  # gone from the calendar
        if not link.detached and await _cancel_gone(session, uris, group, link):
            cancelled += 1
    item.name = read.name or item.name
    item.event_count = len(read.occurrences)
    session.add(item)
    await session.flush()
    return SyncReport(created, updated, cancelled)


async def _create(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    author: User,
    item: CalendarImport,
    occurrence: Occurrence,
) -> None:
    event = (await create_events(session, group, author, _fields(occurrence, None)))[0]
    session.add(
        ImportedEvent(
            import_id=item.id or 0,
            event_id=event.id or 0,
            uid=occurrence.uid,
            recurrence_key=occurrence.recurrence_key,
            fingerprint=occurrence.fingerprint,
        )
    )
    if _due(event, occurrence.recurring):
        await publish_new(session, uris, group, [event])


async def _update(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, occurrence: Occurrence
) -> None:
    if occurrence.status == EventStatus.CANCELLED:
        if event.status == EventStatus.CANCELLED:
            return
        await cancel_event(session, event)
    else:
        base = fields_of(event, await event_tags(session, event))
        await update_event(session, event, _fields(occurrence, base))
    if event.federated_at is not None or _due(event, occurrence.recurring):
        await publish_changes(session, uris, group, [event])


async def _cancel_gone(
    session: AsyncSession, uris: LocalUris, group: Group, link: ImportedEvent
) -> bool:
    """Cancel an upcoming meetup whose VEVENT left the calendar (past ones stay as they were)."""
    event = await session.get(Event, link.event_id)
    if event is None or event.status == EventStatus.CANCELLED or event.ends_at <= utcnow():
        return False
    link.fingerprint = "gone"
    session.add(link)
    await cancel_event(session, event)
    await publish_changes(session, uris, group, [event])
    return True


async def announce_due_imports(session: AsyncSession, uris: LocalUris) -> int:
    """``Create`` imported occurrences of recurring events that came within ANNOUNCE_AHEAD."""
    now = utcnow()
    rows = await session.exec(
        select(Event, Group)
        .join(ImportedEvent, col(ImportedEvent.event_id) == col(Event.id))
        .join(Group, col(Group.id) == col(Event.group_id))
        .where(
            col(Event.federated_at).is_(None),
            col(Event.status) != EventStatus.CANCELLED,
            col(Event.visibility) != "members",
            col(Event.starts_at) <= now + ANNOUNCE_AHEAD,
            col(Event.ends_at) >= now,
            col(ImportedEvent.detached).is_(False),
        )
        .limit(100)
    )
    due = list(rows.all())
    for event, group in due:
        await publish_new(session, uris, group, [event])
    return len(due)


async def import_source(
    session: AsyncSession, event: Event
) -> tuple[ImportedEvent, CalendarImport] | None:
    """Where an imported meetup came from (None for a meetup made here)."""
    row = (
        await session.exec(
            select(ImportedEvent, CalendarImport)
            .join(CalendarImport, col(CalendarImport.id) == col(ImportedEvent.import_id))
            .where(ImportedEvent.event_id == event.id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def detach_as(session: AsyncSession, user: User, event: Event) -> ImportedEvent:
    """``detach``, done by one of the meetup group's organizers (the web form and the API)."""
    group = await session.get(Group, event.group_id)
    if group is None:
        raise NotFound(_("No such meetup."))
    await members.require(session, group, user, "post_as_group")
    return await detach(session, event)


async def detach(session: AsyncSession, event: Event) -> ImportedEvent:
    """Stop the import from changing this meetup: it is edited here from now on."""
    source = await import_source(session, event)
    if source is None:
        raise InvalidInput(_("This meetup was not imported from a calendar."))
    link = source[0]
    link.detached = True
    session.add(link)
    await session.flush()
    return link


async def delete_import(session: AsyncSession, uris: LocalUris, item: CalendarImport) -> int:
    """Remove an import: its upcoming meetups (not detached) are cancelled; returns how many."""
    group = await session.get(Group, item.group_id)
    rows = await session.exec(select(ImportedEvent).where(ImportedEvent.import_id == item.id))
    count = 0
    for link in rows.all():
        if group is not None and not link.detached:
            count += await _cancel_gone(session, uris, group, link)
    await session.delete(item)
    await session.flush()
    return count


def next_poll(item: CalendarImport, *, poll_minutes: int, max_backoff_hours: int) -> datetime:
    """When to read the calendar next: the interval, doubled for each failure in a row."""
    longest = max(max_backoff_hours * 60, poll_minutes)
    return utcnow() + timedelta(minutes=min(poll_minutes * 2 ** min(item.failures, 16), longest))
