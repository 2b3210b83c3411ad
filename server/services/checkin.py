"""Meetup check-in: the organizer shows a QR code that changes every minute and works only
while the meetup is on; people who scan it are checked in. Local users are logged in;
someone from another server proves their handle with a one-time code sent to them by direct
message. Attendance is never public: members see a "met in person" mark, organizers the
history.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import type_coerce, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import UTCDateTime, utcnow
from server.errors import Forbidden, InvalidInput
from server.i18n import _
from server.models import CheckIn, CheckInCode, Event, EventStatus, User
from server.services.rsvp import Attendee, of_person

#: Check-in opens this long before the start and stays open this long after the end.
MARGIN = timedelta(minutes=30)
ROTATE_SECONDS = 60
#: A scanned code stays good for this many rotations (a slow phone, a queue at the door).
CODE_SLOTS = 3
ONE_TIME_CODE_TTL = timedelta(minutes=15)
ONE_TIME_CODE_ATTEMPTS = 5
MAX_LIVE_CODES = 3


def check_in_window(event: Event) -> tuple[datetime, datetime]:
    return event.starts_at - MARGIN, event.ends_at + MARGIN


def is_on(event: Event, now: datetime | None = None) -> bool:
    """Whether check-in is open for this meetup now."""
    opens, closes = check_in_window(event)
    return event.status != EventStatus.CANCELLED and opens <= (now or utcnow()) <= closes


def _slot_code(secret: str, event_id: int, slot: int) -> str:
    message = f"hearth check-in {event_id} {slot}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def current_code(secret: str, event: Event, now: datetime | None = None) -> str:
    """The code the QR shows right now (it changes every ROTATE_SECONDS)."""
    slot = int((now or utcnow()).timestamp()) // ROTATE_SECONDS
    return _slot_code(secret, event.id or 0, slot)


def check_code(secret: str, event: Event, code: str, now: datetime | None = None) -> None:
    """Raise unless ``code`` is one the QR showed in the last minutes, while the meetup is on."""
    now = now or utcnow()
    if not is_on(event, now):
        raise Forbidden(_("Check-in is open only from 30 minutes before the meetup to 30 after."))
    slot = int(now.timestamp()) // ROTATE_SECONDS
    valid = (_slot_code(secret, event.id or 0, slot - back) for back in range(CODE_SLOTS))
    if not any(hmac.compare_digest(code.encode(), good.encode()) for good in valid):
        raise Forbidden(
            _("This check-in code has expired: scan the code shown at the meetup again.")
        )


async def find_check_in(session: AsyncSession, event: Event, who: Attendee) -> CheckIn | None:
    query = select(CheckIn).where(CheckIn.event_id == event.id)
    return (await session.exec(of_person(query, CheckIn, who))).first()


async def check_in(session: AsyncSession, event: Event, who: Attendee) -> tuple[CheckIn, bool]:
    """Record that ``who`` is at the meetup; returns the row and whether it is new."""
    existing = await find_check_in(session, event, who)
    if existing is not None:
        return existing, False
    row = CheckIn(event_id=event.id or 0, user_id=who.user_id, actor_uri=who.actor_uri)
    session.add(row)
    await session.flush()
    return row, True


async def check_in_with_code(
    session: AsyncSession, secret: str, event: Event, who: Attendee, code: str
) -> tuple[CheckIn, bool]:
    """Check a person in with the code the meetup's QR shows (the web page and the API)."""
    check_code(secret, event, code)
    return await check_in(session, event, who)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def new_one_time_code(session: AsyncSession, event: Event, actor_uri: str) -> str:
    """A 6-digit code for this person at this meetup (only its hash is stored). At most
    ``MAX_LIVE_CODES`` unexpired codes per person, so the form cannot be used to flood
    someone's messages."""
    live = select(func.count()).where(
        CheckInCode.event_id == event.id,
        CheckInCode.actor_uri == actor_uri,
        col(CheckInCode.expires_at) > utcnow(),
    )
    if int((await session.exec(live)).one()) >= MAX_LIVE_CODES:
        raise Forbidden(_("A code was sent a moment ago: look in your direct messages."))
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        digest = _hash(f"{event.id}:{actor_uri}:{code}")
        if (
            await session.exec(select(CheckInCode.id).where(CheckInCode.code_hash == digest))
        ).first() is None:
            break
    session.add(
        CheckInCode(
            event_id=event.id or 0,
            actor_uri=actor_uri,
            code_hash=digest,
            expires_at=utcnow() + ONE_TIME_CODE_TTL,
        )
    )
    await session.flush()
    return code


async def redeem_one_time_code(
    session: AsyncSession, event: Event, actor_uri: str, code: str
) -> None:
    """Use up a one-time code; raise when it is wrong, expired or already used."""
    now = utcnow()
    digest = _hash(f"{event.id}:{actor_uri}:{code.strip()}")
    claimed = await session.exec(
        update(CheckInCode)
        .where(
            col(CheckInCode.code_hash) == digest,
            col(CheckInCode.event_id) == event.id,
            col(CheckInCode.used_at).is_(None),
            col(CheckInCode.expires_at) > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount:
        return
    await session.exec(  # count the failed try against this person's live codes
        update(CheckInCode)
        .where(
            col(CheckInCode.event_id) == event.id,
            col(CheckInCode.actor_uri) == actor_uri,
            col(CheckInCode.used_at).is_(None),
        )
        .values(attempts=CheckInCode.attempts + 1)
    )
    raise InvalidInput(_("That code is wrong, expired or already used."), field="code")


async def too_many_attempts(session: AsyncSession, event: Event, actor_uri: str) -> bool:
    """Whether this person has guessed wrong too often (ask for a new code)."""
    query = select(func.max(CheckInCode.attempts)).where(
        CheckInCode.event_id == event.id,
        CheckInCode.actor_uri == actor_uri,
        col(CheckInCode.used_at).is_(None),
    )
    return int((await session.exec(query)).one() or 0) >= ONE_TIME_CODE_ATTEMPTS


@dataclass(frozen=True)
class Attendance:
    """Who was at a meetup, for its organizers."""

    user: User | None
    actor_uri: str | None
    checked_in_at: datetime


async def attendance(session: AsyncSession, event: Event) -> list[Attendance]:
    """Everyone checked in at the meetup, in the order they arrived."""
    rows = (
        await session.exec(
            select(CheckIn, User)
            .join(User, col(User.id) == col(CheckIn.user_id), isouter=True)
            .where(CheckIn.event_id == event.id)
            .order_by(col(CheckIn.checked_in_at))
        )
    ).all()
    return [Attendance(user, row.actor_uri, row.checked_in_at) for row, user in rows]


async def last_met(session: AsyncSession, group_id: int) -> dict[str, datetime]:
    """For each person who checked in at one of the group's meetups, the start of the last
    one: keys are ``user:<id>`` and ``actor:<uri>``."""
    rows = (
        await session.exec(
            select(
                CheckIn.user_id,
                CheckIn.actor_uri,
                type_coerce(func.max(Event.starts_at), UTCDateTime()),
            )
            .join(Event, col(Event.id) == col(CheckIn.event_id))
            .where(Event.group_id == group_id)
            .group_by(col(CheckIn.user_id), col(CheckIn.actor_uri))
        )
    ).all()
    return {
        (f"user:{user}" if user is not None else f"actor:{actor}"): last
        for user, actor, last in rows
    }


@dataclass(frozen=True)
class AttendanceHistory:
    """How often someone came to the group's meetups, for its organizers."""

    who: str
    meetups: int
    last: datetime


async def attendance_history(session: AsyncSession, group_id: int) -> list[AttendanceHistory]:
    """Everyone who checked in at the group's meetups: how many times, and when last."""
    last_start = type_coerce(func.max(Event.starts_at), UTCDateTime())
    rows = (
        await session.exec(
            select(CheckIn.user_id, CheckIn.actor_uri, func.count(), last_start)
            .join(Event, col(Event.id) == col(CheckIn.event_id))
            .where(Event.group_id == group_id)
            .group_by(col(CheckIn.user_id), col(CheckIn.actor_uri))
        )
    ).all()
    users = {
        user.id: user
        for user in (
            await session.exec(select(User).where(col(User.id).in_([r[0] for r in rows if r[0]])))
        ).all()
    }
    history = [
        AttendanceHistory(
            f"@{users[user_id].username}" if user_id in users else str(actor_uri),
            int(times),
            last,
        )
        for user_id, actor_uri, times, last in rows
    ]
    return sorted(history, key=lambda entry: (-entry.meetups, entry.who))
