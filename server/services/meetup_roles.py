"""Meetup roles: the roles a group's meetups need (facilitator, note-taker, greeter,
timekeeper by default; organizers add, rename and remove them) and who holds each at a
meetup. Members volunteer in one click, organizers assign, a holder hands a role back.

Roles change until the meetup ends. Holders are local members; each role has one holder
per meetup and a person may hold several roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import is_row_id, utcnow
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.i18n import _, pgettext, use_locale
from server.models import (
    DEFAULT_ROLES,
    Event,
    EventStatus,
    Group,
    MeetupRole,
    Membership,
    MembershipState,
    PracticeSettings,
    RoleHolder,
    User,
    UserState,
)
from server.services import membership as members

#: The kinds of the default roles: the facilitator runs the agenda, the note-taker the minutes.
FACILITATOR = "facilitator"
NOTE_TAKER = "notes"
DEFAULT_KINDS = {"Facilitator": FACILITATOR, "Note-taker": NOTE_TAKER}


def default_role_name(name: str) -> str:
    """A default role's name in the active language (the group's when seeded)."""
    names = {
        "Facilitator": pgettext("meetup role", "Facilitator"),
        "Note-taker": pgettext("meetup role", "Note-taker"),
        "Greeter": pgettext("meetup role", "Greeter"),
        "Timekeeper": pgettext("meetup role", "Timekeeper"),
    }
    return names.get(name, name)


MAX_ROLES = 12


async def practice_settings(session: AsyncSession, group: Group) -> PracticeSettings:
    """The group's practice settings (created with the defaults on first use; two requests
    creating them at once both get the one row)."""
    found = await session.get(PracticeSettings, group.id)
    if found is None:
        try:
            async with session.begin_nested():
                session.add(PracticeSettings(group_id=group.id or 0))
        except IntegrityError:
            pass
        found = await session.get(PracticeSettings, group.id, populate_existing=True)
        assert found is not None
    return found


async def group_roles(session: AsyncSession, group: Group) -> list[MeetupRole]:
    """The group's roles in order; the default ones are created the first time (by the one
    request whose UPDATE marks them created, however many ask at once)."""
    settings = await practice_settings(session, group)
    if settings.roles_seeded_at is None:
        claimed = await session.exec(
            update(PracticeSettings)
            .where(
                col(PracticeSettings.group_id) == group.id,
                col(PracticeSettings.roles_seeded_at).is_(None),
            )
            .values(roles_seeded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount:
            # Seeded as the group's own rows, named in its language (else the reader's).
            with use_locale(group.language or None):
                for position, name in enumerate(DEFAULT_ROLES):
                    session.add(
                        MeetupRole(
                            group_id=group.id or 0,
                            name=default_role_name(name),
                            position=position,
                            kind=DEFAULT_KINDS.get(name, ""),
                        )
                    )
            await session.flush()
        await session.refresh(settings)
    query = (
        select(MeetupRole)
        .where(MeetupRole.group_id == group.id)
        .order_by(col(MeetupRole.position), col(MeetupRole.id))
    )
    return list((await session.exec(query)).all())


async def get_role(session: AsyncSession, group: Group, role_id: int) -> MeetupRole:
    """A role of this group, or NotFound."""
    role = await session.get(MeetupRole, role_id) if is_row_id(role_id) else None
    if role is None or role.group_id != group.id:
        raise NotFound(_("No such role in this group."))
    return role


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(_("Give the role a name."), field="name")
    if len(cleaned) > 60:
        raise InvalidInput(_("A role's name is at most 60 characters."), field="name")
    return cleaned


async def _check_free_name(
    session: AsyncSession, group: Group, name: str, keep: int | None = None
) -> None:
    for role in await group_roles(session, group):
        if role.name.lower() == name.lower() and role.id != keep:
            raise Conflict(
                _("The group already has a role called “%(role)s”.") % {"role": role.name}
            )


async def add_role(session: AsyncSession, group: Group, user: User, name: str) -> MeetupRole:
    """Add a role (organizers)."""
    await members.require(session, group, user, "moderate")
    cleaned = _clean_name(name)
    roles = await group_roles(session, group)
    if len(roles) >= MAX_ROLES:
        raise InvalidInput(
            _("A group has at most %(max_roles)s roles.") % {"max_roles": MAX_ROLES}, field="name"
        )
    await _check_free_name(session, group, cleaned)
    role = MeetupRole(
        group_id=group.id or 0,
        name=cleaned,
        position=max((r.position for r in roles), default=-1) + 1,
    )
    session.add(role)
    await session.flush()
    return role


async def rename_role(
    session: AsyncSession, group: Group, user: User, role_id: int, name: str
) -> MeetupRole:
    """Rename a role (organizers); its history and its kind stay."""
    await members.require(session, group, user, "moderate")
    role = await get_role(session, group, role_id)
    cleaned = _clean_name(name)
    await _check_free_name(session, group, cleaned, keep=role.id)
    role.name = cleaned
    session.add(role)
    await session.flush()
    return role


async def remove_role(session: AsyncSession, group: Group, user: User, role_id: int) -> None:
    """Remove a role (organizers); who held it at past meetups goes with it."""
    await members.require(session, group, user, "moderate")
    await session.delete(await get_role(session, group, role_id))
    await session.flush()


@dataclass(frozen=True)
class Slot:
    """One role at one meetup and who holds it (None: open)."""

    role: MeetupRole
    holder: User | None


async def slots(session: AsyncSession, group: Group, event: Event) -> list[Slot]:
    """Every role of the group at this meetup, with its holder."""
    roles = await group_roles(session, group)
    query = (
        select(RoleHolder, User)
        .join(User, col(User.id) == col(RoleHolder.user_id))
        .where(RoleHolder.event_id == event.id)
    )
    held = {row.role_id: user for row, user in (await session.exec(query)).all()}
    return [Slot(role, held.get(role.id or 0)) for role in roles]


async def holder_of(session: AsyncSession, event: Event, kind: str) -> User | None:
    """Who holds the role of this kind (facilitator, notes) at the meetup."""
    query = (
        select(User)
        .join(RoleHolder, col(RoleHolder.user_id) == col(User.id))
        .join(MeetupRole, col(MeetupRole.id) == col(RoleHolder.role_id))
        .where(RoleHolder.event_id == event.id, MeetupRole.kind == kind)
    )
    return (await session.exec(query)).first()


async def is_organizer(session: AsyncSession, group: Group, user: User | None) -> bool:
    return members.may(user, await members.get_membership(session, group, user), "moderate")


async def holds(session: AsyncSession, event: Event, user: User | None, kind: str) -> bool:
    """Whether the user holds the role of this kind at the meetup."""
    holder = await holder_of(session, event, kind) if user else None
    return holder is not None and user is not None and holder.id == user.id


def check_not_over(event: Event) -> None:
    """Roles and the agenda change only until the meetup ends."""
    if event.status == EventStatus.CANCELLED:
        raise InvalidInput(_("This meetup is cancelled."))
    if event.ends_at <= utcnow():
        raise InvalidInput(_("This meetup is over: its roles and agenda no longer change."))


async def _active_member(session: AsyncSession, group: Group, user: User) -> bool:
    return members.may(user, await members.get_membership(session, group, user), "see_members")


async def _holder_row(session: AsyncSession, event: Event, role: MeetupRole) -> RoleHolder | None:
    query = select(RoleHolder).where(RoleHolder.event_id == event.id, RoleHolder.role_id == role.id)
    return (await session.exec(query)).first()


async def _take(
    session: AsyncSession, event: Event, role: MeetupRole, user: User, by: User
) -> RoleHolder:
    existing = await _holder_row(session, event, role)
    if existing is not None:
        if existing.user_id == user.id:
            return existing
        if by.id == user.id:
            raise Conflict(
                _("Someone already holds the %(role)s role at this meetup.") % {"role": role.name}
            )
        await session.delete(existing)
        await session.flush()
    row = RoleHolder(
        event_id=event.id or 0, role_id=role.id or 0, user_id=user.id or 0, assigned_by_id=by.id
    )
    session.add(row)
    await session.flush()
    return row


async def volunteer(
    session: AsyncSession, group: Group, event: Event, user: User, role_id: int
) -> RoleHolder:
    """A member takes an open role at the meetup."""
    role = await get_role(session, group, role_id)
    if not await _active_member(session, group, user):
        raise Forbidden(_("Only members of the group can take a role at its meetups."))
    check_not_over(event)
    return await _take(session, event, role, user, user)


async def assign(
    session: AsyncSession, group: Group, event: Event, by: User, role_id: int, username: str
) -> RoleHolder:
    """An organizer gives a role to a member (replacing whoever held it)."""
    await members.require(session, group, by, "moderate")
    role = await get_role(session, group, role_id)
    check_not_over(event)
    member = (
        await session.exec(select(User).where(func.lower(User.username) == username.lower()))
    ).first()
    if member is None or not await _active_member(session, group, member):
        raise InvalidInput(
            _("“%(username)s” is not a member of this group.") % {"username": username[:30]},
            field="username",
        )
    return await _take(session, event, role, member, by)


async def hand_back(
    session: AsyncSession, group: Group, event: Event, user: User, role_id: int
) -> None:
    """The holder gives the role back (or an organizer frees it): it is open again."""
    role = await get_role(session, group, role_id)
    row = await _holder_row(session, event, role)
    if row is None:
        raise InvalidInput(
            _("Nobody holds the %(role)s role at this meetup.") % {"role": role.name}
        )
    if row.user_id != user.id and not await is_organizer(session, group, user):
        raise Forbidden(_("Only the holder or an organizer can free this role."))
    check_not_over(event)
    await session.delete(row)
    await session.flush()


async def active_local_members(session: AsyncSession, group: Group) -> list[User]:
    """The group's active local members, by username."""
    query = (
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.group_id == group.id,
            Membership.state == MembershipState.ACTIVE,
            User.state == UserState.ACTIVE,
        )
        .order_by(func.lower(User.username))
    )
    return list((await session.exec(query)).all())


def holders_text(event_slots: list[Slot]) -> str:
    """ "Facilitator: Ana · Note-taker: open" for calendars and reminders."""
    return " · ".join(
        f"{slot.role.name}: {slot.holder.name if slot.holder else 'open'}" for slot in event_slots
    )
