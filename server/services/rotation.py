"""Rotation: who held which role and how often, "your turn?" suggestions for open roles, and
telling role holders and suggested members.

Suggestions for an open role at a meetup are members who came to the group's meetups
(checked in at least once) and hold no role at it, those who never held the role first,
then those who held it least recently. Nobody is asked twice in a row: the members asked
for the group's previous meetup (the last one before this with anyone asked) are skipped.
Each person is asked at most once per meetup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import type_coerce
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db import UTCDateTime, utcnow
from server.i18n import _, get_locale, use_locale
from server.models import (
    CheckIn,
    Event,
    EventStatus,
    Group,
    MeetupRole,
    PracticeSettings,
    RoleHolder,
    RoleNudge,
    User,
    read_id,
)
from server.services.meetup_roles import Slot, active_local_members, slots
from server.services.notices import notify_user
from server.services.notifications import reader_language
from server.services.rsvp_notify import when_text
from server.uris import LocalUris

#: Open roles of meetups starting within this time get their "your turn?" messages.
NUDGE_AHEAD = timedelta(days=3)
SUGGESTIONS = 3


def _in_sentence(role_name: str) -> str:
    """A role's name inside a sentence: lower case, except in German, whose nouns keep
    their capital ("Nobody is facilitator yet", "hat noch niemand die Rolle Moderation")."""
    return role_name if get_locale() == "de" else role_name.lower()


@dataclass(frozen=True)
class Held:
    """How often someone held a role, and when last (the meetup's start)."""

    user: User
    times: int
    last: datetime


async def role_history(session: AsyncSession, group: Group) -> dict[int, list[Held]]:
    """For each role id: who held it at the group's meetups, most often first."""
    last = type_coerce(func.max(Event.starts_at), UTCDateTime())
    query = (
        select(RoleHolder.role_id, User, func.count(), last)
        .join(User, col(User.id) == col(RoleHolder.user_id))
        .join(Event, col(Event.id) == col(RoleHolder.event_id))
        .where(Event.group_id == group.id, col(Event.status) != EventStatus.CANCELLED)
        .group_by(col(RoleHolder.role_id), col(User.id))
    )
    history: dict[int, list[Held]] = {}
    for role_id, user, times, when in (await session.exec(query)).all():
        history.setdefault(role_id, []).append(Held(user, int(times), when))
    for held in history.values():
        held.sort(key=lambda h: (-h.times, h.user.username.lower()))
    return history


@dataclass(frozen=True)
class Suggestion:
    """A member who could take an open role: never held it, or held it long ago."""

    user: User
    times: int
    last_held: datetime | None
    asked: bool


async def _came_to_meetups(session: AsyncSession, group: Group) -> set[int]:
    query = (
        select(CheckIn.user_id)
        .join(Event, col(Event.id) == col(CheckIn.event_id))
        .where(Event.group_id == group.id, col(CheckIn.user_id).is_not(None))
        .distinct()
    )
    return {read_id(user_id) for user_id in (await session.exec(query)).all()}


async def previous_round(session: AsyncSession, group: Group, event: Event) -> set[int]:
    """Who was asked for the group's last meetup before this one that had anyone asked."""
    last_event = (
        await session.exec(
            select(Event.id)
            .join(RoleNudge, col(RoleNudge.event_id) == col(Event.id))
            .where(
                Event.group_id == group.id,
                col(Event.starts_at) < event.starts_at,
                Event.id != event.id,
            )
            .order_by(col(Event.starts_at).desc())
            .limit(1)
        )
    ).first()
    if last_event is None:
        return set()
    query = select(RoleNudge.user_id).where(RoleNudge.event_id == last_event)
    return set((await session.exec(query)).all())


async def _asked_here(session: AsyncSession, event: Event) -> dict[int, set[int]]:
    rows = await session.exec(
        select(RoleNudge.role_id, RoleNudge.user_id).where(RoleNudge.event_id == event.id)
    )
    asked: dict[int, set[int]] = {}
    for role_id, user_id in rows.all():
        asked.setdefault(role_id, set()).add(user_id)
    return asked


async def suggestions(
    session: AsyncSession, group: Group, event: Event, event_slots: list[Slot] | None = None
) -> dict[int, list[Suggestion]]:
    """For each open role at the meetup (by role id): up to three members whose turn it is."""
    event_slots = event_slots if event_slots is not None else await slots(session, group, event)
    open_roles = [slot.role for slot in event_slots if slot.holder is None]
    if not open_roles:
        return {}
    came = await _came_to_meetups(session, group)
    holding = {slot.holder.id for slot in event_slots if slot.holder is not None}
    skipped = await previous_round(session, group, event)
    asked = await _asked_here(session, event)
    candidates = [
        user
        for user in await active_local_members(session, group)
        if user.id in came and user.id not in holding and user.id not in skipped
    ]
    history = await role_history(session, group)
    found: dict[int, list[Suggestion]] = {}
    for role in open_roles:
        held = {h.user.id: h for h in history.get(role.id or 0, [])}
        ranked = sorted(
            candidates,
            key=lambda user: (
                user.id in held,
                held[user.id].last if user.id in held else datetime.min,
                held[user.id].times if user.id in held else 0,
                user.username.lower(),
            ),
        )
        found[role.id or 0] = [
            Suggestion(
                user,
                held[user.id].times if user.id in held else 0,
                held[user.id].last if user.id in held else None,
                user.id in asked.get(role.id or 0, set()),
            )
            for user in ranked[:SUGGESTIONS]
        ]
    return found


async def ask_for_open_roles(
    session: AsyncSession, settings: Settings, group: Group, event: Event
) -> list[tuple[MeetupRole, User]]:
    """Ask the first suggested member for each open role ("your turn?"), by notification and
    email; each person once per meetup. Returns who was asked for what."""
    event_slots = await slots(session, group, event)
    ranked = await suggestions(session, group, event, event_slots)
    roles = {slot.role.id: slot.role for slot in event_slots}
    asked_now: list[tuple[MeetupRole, User]] = []
    taken: set[int] = set()
    already = await _asked_here(session, event)
    for user_ids in already.values():
        taken |= user_ids
    for role_id, people in ranked.items():
        if role_id in already:
            continue
        choice = next((s.user for s in people if s.user.id not in taken), None)
        if choice is None:
            continue
        role = roles[role_id]
        taken.add(choice.id or 0)
        session.add(
            RoleNudge(
                group_id=group.id or 0,
                event_id=event.id or 0,
                role_id=role_id,
                user_id=choice.id or 0,
            )
        )
        with use_locale(reader_language(settings, choice)):
            text = _(
                "Your turn? Nobody is %(role)s yet at “%(title)s” (%(when)s). You have "
                "come to %(group)s's meetups: would you take it this time? One click on the "
                "meetup's page."
            ) % {
                "role": _in_sentence(role.name),
                "title": event.title,
                "when": when_text(event),
                "group": group.name,
            }
            await notify_user(
                session,
                settings,
                choice,
                kind="role_nudge",
                text=text,
                link=f"/events/{event.id}#roles",
                email_subject=_("Your turn? %(role)s at %(title)s")
                % {"role": role.name, "title": event.title},
            )
        asked_now.append((role, choice))
    await session.flush()
    return asked_now


async def ask_due(session: AsyncSession, uris: LocalUris) -> int:
    """The worker's periodic job: for meetups starting within three days, ask members to
    take the roles still open (once per role and meetup)."""
    now = utcnow()
    query = (
        select(Event, Group)
        .join(Group, col(Group.id) == col(Event.group_id))
        .join(PracticeSettings, col(PracticeSettings.group_id) == col(Group.id))
        .where(
            col(PracticeSettings.roles_seeded_at).is_not(None),
            col(Event.starts_at) > now,
            col(Event.starts_at) <= now + NUDGE_AHEAD,
            col(Event.status) != EventStatus.CANCELLED,
            col(Group.suspended_at).is_(None),
        )
        .order_by(col(Event.starts_at))
        .limit(50)
    )
    count = 0
    for event, group in (await session.exec(query)).all():
        count += len(await ask_for_open_roles(session, uris.settings, group, event))
    return count


async def remind_holders(session: AsyncSession, uris: LocalUris) -> int:
    """The worker's periodic job: remind role holders before the meetup, at the meetup's own
    reminder time (once each: the row is claimed with ``reminded_at`` as RSVP reminders are)."""
    now = utcnow()
    query = (
        select(RoleHolder.id, Event.starts_at, Event.remind_minutes)
        .join(Event, col(Event.id) == col(RoleHolder.event_id))
        .where(
            col(RoleHolder.reminded_at).is_(None),
            col(Event.status) != EventStatus.CANCELLED,
            col(Event.remind_minutes) > 0,
            col(Event.starts_at) > now,
            col(Event.starts_at) <= now + timedelta(days=2),
        )
    )
    due = [
        row_id
        for row_id, starts, minutes in (await session.exec(query)).all()
        if starts - timedelta(minutes=minutes) <= now
    ]
    if not due:
        return 0
    claimed = await session.exec(
        update(RoleHolder)
        .where(col(RoleHolder.id).in_(due), col(RoleHolder.reminded_at).is_(None))
        .values(reminded_at=now)
        .returning(col(RoleHolder.id))
        .execution_options(synchronize_session=False)
    )
    claimed_ids = [int(row[0]) for row in claimed.all()]
    for row_id in claimed_ids:
        row = await session.get(RoleHolder, row_id)
        event = await session.get(Event, row.event_id) if row else None
        role = await session.get(MeetupRole, row.role_id) if row else None
        user = await session.get(User, row.user_id) if row else None
        if row is None or event is None or role is None or user is None:
            continue
        with use_locale(reader_language(uris.settings, user)):
            await notify_user(
                session,
                uris.settings,
                user,
                kind="role_reminder",
                text=_("Reminder: you are %(role)s at “%(title)s”, %(when)s.")
                % {"role": _in_sentence(role.name), "title": event.title, "when": when_text(event)},
                link=f"/events/{event.id}",
                email_subject=_("Reminder: you are %(role)s at %(title)s")
                % {"role": _in_sentence(role.name), "title": event.title},
            )
    return len(claimed_ids)
