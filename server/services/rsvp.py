"""RSVPs: answers to a meetup, capacity, the waitlist and organizer approval.

Every way of answering (the web page, the API, Mobilizon ``Join``, Friendica ``Accept``, a
Mastodon poll vote) goes through :func:`respond`, so the rules are the same for everyone:

- ``going`` takes a seat. When the event is full the person joins the waitlist
  (``waitlisted``, ordered by when they asked) — never silently dropped.
- In a ``restricted`` event, ``going`` waits for the organizer (``pending``) until
  :func:`decide` approves (a seat, or the waitlist if full) or rejects it.
- Giving up a seat (``maybe``, ``not_going``, :func:`withdraw`) promotes the first people on the
  waitlist; so does raising the capacity (:func:`fill_from_waitlist`).

Callers tell people what happened from the returned :class:`RsvpResult` (position on the
waitlist, who was promoted). Changing counts marks the event so the worker federates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.db import is_row_id, utcnow
from server.errors import Forbidden, InvalidInput, NotFound
from server.i18n import _
from server.models import (
    Event,
    EventStatus,
    JoinMode,
    Membership,
    MembershipState,
    Participation,
    RemoteMember,
    RsvpStatus,
    User,
)

Row = TypeVar("Row")
Answer = Literal["going", "maybe", "not_going"]
ANSWERS: tuple[Answer, ...] = ("going", "maybe", "not_going")
#: Answers a new "going" keeps as they are (a seat, a place in the queue, a request).
WAITING_OR_SEATED = (RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.PENDING)


@dataclass(frozen=True)
class Attendee:
    """Who answers: a local user (``user_id``) or a remote actor (``actor_uri``)."""

    user_id: int | None = None
    actor_uri: str | None = None

    @classmethod
    def local(cls, user: User) -> Attendee:
        return cls(user_id=user.id)

    @classmethod
    def remote(cls, actor_uri: str) -> Attendee:
        return cls(actor_uri=actor_uri)


@dataclass
class RsvpResult:
    """What an answer changed."""

    participation: Participation | None
    previous: RsvpStatus | None
    promoted: list[Participation] = field(default_factory=list)
    waitlist_position: int | None = None

    @property
    def changed(self) -> bool:
        current = self.participation.status if self.participation else None
        return current != self.previous or bool(self.promoted)


@dataclass(frozen=True)
class Counts:
    """How many people gave each answer."""

    going: int = 0
    maybe: int = 0
    not_going: int = 0
    waitlisted: int = 0
    pending: int = 0


def remaining_capacity(event: Event, counts: Counts) -> int | None:
    """Seats left, or None when the event has no capacity limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - counts.going, 0)


def check_open(event: Event) -> None:
    """Raise unless people can answer this event now."""
    if event.status == EventStatus.CANCELLED:
        raise InvalidInput(_("This meetup was cancelled."))
    if event.ends_at < utcnow():
        raise InvalidInput(_("This meetup is over."))
    if event.join_mode == JoinMode.EXTERNAL:
        raise InvalidInput(_("Registration for this meetup happens on another site."))


async def is_member(session: AsyncSession, group_id: int, attendee: Attendee) -> bool:
    """Whether the attendee is an active member of the group (local or remote)."""
    if attendee.user_id is not None:
        query = select(Membership.id).where(
            Membership.group_id == group_id,
            Membership.user_id == attendee.user_id,
            Membership.state == MembershipState.ACTIVE,
        )
    else:
        query = select(RemoteMember.id).where(
            RemoteMember.group_id == group_id,
            RemoteMember.actor_uri == (attendee.actor_uri or ""),
            RemoteMember.state == MembershipState.ACTIVE,
        )
    return (await session.exec(query)).first() is not None


async def require_eligible(session: AsyncSession, event: Event, attendee: Attendee) -> None:
    """Raise Forbidden when only members may answer (members-only or invite events)."""
    members_only = event.visibility == "members" or event.join_mode == JoinMode.INVITE
    if members_only and not await is_member(session, event.group_id, attendee):
        raise Forbidden(_("Only members of the group can answer this meetup."))


async def lock_event(session: AsyncSession, event_id: int) -> Event:
    """Load the event for an RSVP change, locked (on PostgreSQL) so seats are not oversold."""
    query = select(Event).where(Event.id == event_id).with_for_update()
    event = (await session.exec(query)).first() if is_row_id(event_id) else None
    if event is None:
        raise NotFound(_("No such meetup."))
    return event


def of_person(query: SelectOfScalar[Row], model: Any, person: Attendee) -> SelectOfScalar[Row]:
    """``query`` narrowed to rows of ``model`` (with ``user_id`` and ``actor_uri``) that are
    this person's."""
    if person.user_id is not None:
        return query.where(model.user_id == person.user_id)
    return query.where(model.actor_uri == person.actor_uri)


async def find(session: AsyncSession, event: Event, attendee: Attendee) -> Participation | None:
    """The attendee's answer to the event, if any."""
    query = select(Participation).where(Participation.event_id == event.id)
    return (await session.exec(of_person(query, Participation, attendee))).first()


async def counts(session: AsyncSession, event: Event) -> Counts:
    """How many people gave each answer to the event."""
    query = (
        select(Participation.status, func.count())
        .where(Participation.event_id == event.id)
        .group_by(col(Participation.status))
    )
    found = {status: number for status, number in (await session.exec(query)).all()}
    return Counts(**{k: found.get(k, 0) for k in Counts.__dataclass_fields__})


async def _seats_taken(session: AsyncSession, event: Event) -> int:
    return (await counts(session, event)).going


async def waitlist_position(session: AsyncSession, participation: Participation) -> int | None:
    """1 for the first person on the waitlist; None when not waitlisted."""
    if participation.status != RsvpStatus.WAITLISTED or participation.waitlisted_at is None:
        return None
    ahead = select(func.count()).where(
        Participation.event_id == participation.event_id,
        Participation.status == RsvpStatus.WAITLISTED,
        (col(Participation.waitlisted_at) < participation.waitlisted_at)
        | (
            (col(Participation.waitlisted_at) == participation.waitlisted_at)
            & (col(Participation.id) < (participation.id or 0))
        ),
    )
    return int((await session.exec(ahead)).one()) + 1


def _set_status(participation: Participation, status: RsvpStatus, now: datetime) -> None:
    if status == RsvpStatus.WAITLISTED and participation.status != RsvpStatus.WAITLISTED:
        participation.waitlisted_at = now
    elif status != RsvpStatus.WAITLISTED:
        participation.waitlisted_at = None
    participation.status = status
    participation.updated_at = now


async def _seat_or_waitlist(session: AsyncSession, event: Event) -> RsvpStatus:
    if event.capacity is not None and await _seats_taken(session, event) >= event.capacity:
        return RsvpStatus.WAITLISTED
    return RsvpStatus.GOING


async def fill_from_waitlist(session: AsyncSession, event: Event) -> list[Participation]:
    """Promote people from the waitlist while seats are free; returns those promoted."""
    promoted: list[Participation] = []
    free = None if event.capacity is None else event.capacity - await _seats_taken(session, event)
    if free is not None and free <= 0:
        return promoted
    query = (
        select(Participation)
        .where(Participation.event_id == event.id, Participation.status == RsvpStatus.WAITLISTED)
        .order_by(col(Participation.waitlisted_at), col(Participation.id))
    )
    if free is not None:
        query = query.limit(free)
    now = utcnow()
    for participation in (await session.exec(query)).all():
        _set_status(participation, RsvpStatus.GOING, now)
        session.add(participation)
        promoted.append(participation)
    if promoted:
        mark_counts_changed(event)
        session.add(event)
        await session.flush()
    return promoted


def mark_counts_changed(event: Event) -> None:
    """Note that the counts changed, for the worker to federate them."""
    event.counts_changed_at = utcnow()


async def respond(
    session: AsyncSession,
    event: Event,
    attendee: Attendee,
    answer: str,
    *,
    via: str,
    activity_uri: str = "",
) -> RsvpResult:
    """Record an answer (new or changed); an unchanged answer changes nothing."""
    if answer not in ANSWERS:
        raise InvalidInput(_("The answer is going, maybe or not_going."), field="answer")
    check_open(event)
    await require_eligible(session, event, attendee)
    participation = await find(session, event, attendee)
    previous = participation.status if participation else None
    if participation is None:
        participation = Participation(
            event_id=event.id or 0, user_id=attendee.user_id, actor_uri=attendee.actor_uri
        )
    if previous == RsvpStatus.REJECTED and answer == RsvpStatus.GOING:
        raise Forbidden(_("The organizers turned down your request to attend."))
    target = RsvpStatus(answer)
    if answer == RsvpStatus.GOING and previous not in WAITING_OR_SEATED:
        if event.join_mode == JoinMode.RESTRICTED:
            target = RsvpStatus.PENDING
        else:
            target = await _seat_or_waitlist(session, event)
    elif answer == RsvpStatus.GOING and previous is not None:
        target = previous
    participation.via = via
    if activity_uri:
        participation.activity_uri = activity_uri[:2048]
    _set_status(participation, target, utcnow())
    session.add(participation)
    await session.flush()
    result = RsvpResult(participation, previous)
    if previous != target:
        mark_counts_changed(event)
        session.add(event)
        if previous == RsvpStatus.GOING:
            result.promoted = await fill_from_waitlist(session, event)
    result.waitlist_position = await waitlist_position(session, participation)
    return result


async def withdraw(session: AsyncSession, event: Event, attendee: Attendee) -> RsvpResult:
    """Remove an answer entirely (Mobilizon ``Leave``); frees a seat if one was taken."""
    participation = await find(session, event, attendee)
    if participation is None:
        return RsvpResult(None, None)
    previous = participation.status
    await session.delete(participation)
    await session.flush()
    mark_counts_changed(event)
    session.add(event)
    result = RsvpResult(None, previous)
    if previous == RsvpStatus.GOING:
        result.promoted = await fill_from_waitlist(session, event)
    return result


async def decide(
    session: AsyncSession,
    event: Event,
    participation: Participation,
    *,
    approve: bool,
    note: str = "",
) -> RsvpResult:
    """An organizer approves (a seat, or the waitlist when full) or rejects a pending request."""
    if participation.event_id != event.id or participation.status != RsvpStatus.PENDING:
        raise NotFound(_("No such request to attend."))
    previous = participation.status
    target = await _seat_or_waitlist(session, event) if approve else RsvpStatus.REJECTED
    _set_status(participation, target, utcnow())
    participation.note = note[:500]
    session.add(participation)
    mark_counts_changed(event)
    session.add(event)
    await session.flush()
    result = RsvpResult(participation, previous)
    result.waitlist_position = await waitlist_position(session, participation)
    return result
