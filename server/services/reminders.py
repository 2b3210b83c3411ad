"""Reminders before meetups: each attendee is told once, a set time before the start.

Who: people whose answer is ``going``. ``maybe`` holds no seat, so a reminder could bring
more people than the room takes; the waitlisted, pending and rejected have no seat either.
When: from ``Event.remind_minutes`` before the start (default 1440 = 24 h; 0 = none) until the
start, for events that are not cancelled. Someone who says "going" after the window opened
(an hour before, say) still gets their reminder on the next round.

Exactly once per attendee and occurrence, across restarts and with several workers: a round
claims the due participations with one ``UPDATE … SET reminded_at = now WHERE … AND
reminded_at IS NULL RETURNING id`` and queues the messages (a notification and an email, or a
direct message from the group) in that same transaction. A second worker's ``UPDATE`` waits
for the first to commit and then finds ``reminded_at`` set; a crash before the commit
leaves nothing claimed and nothing queued.

A meetup moved to another time re-arms its reminders (:func:`rearm_reminders`, called when an
edit changes the start): the attendees are reminded again before the new start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import utcnow
from server.i18n import _
from server.models import Event, EventStatus, Group, Participation, RsvpStatus, read_id
from server.services.notices import tell_participant
from server.services.rsvp_notify import when_text
from server.uris import LocalUris

#: What the event form offers, in minutes before the start (0: no reminder).
REMIND_CHOICES = (0, 60, 180, 1440, 2880)
#: Who is reminded.
REMINDED_STATUSES = (RsvpStatus.GOING,)
#: Participations reminded per round at most (the rest on the next round).
BATCH = 500
#: How often the worker looks for reminders due.
EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Due:
    """A participation whose reminder is due."""

    participation_id: int
    event_id: int


async def due_reminders(session: AsyncSession, now: datetime) -> list[Due]:
    """Participations not yet reminded of an event that starts within its reminder time."""
    horizon = now + timedelta(minutes=max(REMIND_CHOICES))
    query = (
        select(Participation.id, Event.id, Event.starts_at, Event.remind_minutes)
        .join(Event, col(Event.id) == col(Participation.event_id))
        .where(
            col(Participation.status).in_(REMINDED_STATUSES),
            col(Participation.reminded_at).is_(None),
            col(Event.status) != EventStatus.CANCELLED,
            col(Event.remind_minutes) > 0,
            col(Event.starts_at) > now,
            col(Event.starts_at) <= horizon,
        )
        .order_by(col(Event.starts_at), col(Participation.id))
    )
    return [
        Due(read_id(participation_id), read_id(event_id))
        for participation_id, event_id, starts_at, minutes in (await session.exec(query)).all()
        if starts_at - timedelta(minutes=minutes) <= now
    ][:BATCH]


async def claim_reminders(session: AsyncSession, ids: list[int], now: datetime) -> set[int]:
    """Mark these participations reminded; returns the ones this call claimed (those another
    worker claimed first are left out)."""
    if not ids:
        return set()
    statement = (
        update(Participation)
        .where(col(Participation.id).in_(ids), col(Participation.reminded_at).is_(None))
        .values(reminded_at=now)
        .returning(col(Participation.id))
        .execution_options(synchronize_session=False)
    )
    return {int(row[0]) for row in (await session.exec(statement)).all()}


def reminder_text(event: Event) -> str:
    """Title, when and where (place, town, street), and the online link."""
    values = {"title": event.title, "when": when_text(event)}
    sentences = [_("Reminder: “%(title)s” is coming up: %(when)s.") % values]
    if event.street:
        sentences.append(_("Address: %(street)s.") % {"street": event.street})
    if event.online_url:
        sentences.append(_("Join online: %(url)s") % {"url": event.online_url})
    return " ".join(sentences)


def reminder_subject(event: Event) -> str:
    """The reminder e-mail's subject."""
    return _("Reminder: %(title)s") % {"title": event.title}


async def send_due_reminders(
    session: AsyncSession, uris: LocalUris, *, now: datetime | None = None
) -> int:
    """The worker's periodic job: claim the due reminders and queue them; returns how many."""
    now = now or utcnow()
    due = await due_reminders(session, now)
    claimed = await claim_reminders(session, [item.participation_id for item in due], now)
    events: dict[int, tuple[Event, Group] | None] = {}
    for item in due:
        if item.participation_id not in claimed:
            continue
        if item.event_id not in events:
            events[item.event_id] = await _event_and_group(session, item.event_id)
        participation = await session.get(Participation, item.participation_id)
        found = events[item.event_id]
        if participation is None or found is None:
            continue
        event, group = found
        # Written in each reader's language: a member's own, the group's for others.
        await tell_participant(
            session,
            uris.settings,
            group,
            participation,
            kind="reminder",
            text=partial(reminder_text, event),
            email_subject=partial(reminder_subject, event),
        )
    return len(claimed)


async def _event_and_group(session: AsyncSession, event_id: int) -> tuple[Event, Group] | None:
    event = await session.get(Event, event_id)
    group = await session.get(Group, event.group_id) if event else None
    return (event, group) if event and group else None


async def rearm_reminders(session: AsyncSession, event: Event) -> None:
    """The meetup moved: remind its attendees again before the new start."""
    await session.exec(
        update(Participation)
        .where(col(Participation.event_id) == event.id)
        .values(reminded_at=None)
        .execution_options(synchronize_session=False)
    )
