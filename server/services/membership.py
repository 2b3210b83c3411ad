"""Membership: roles and what each may do, joining and leaving, role changes.

What each role may do (instance admins may do all of it, to keep the instance safe):

=================  =====  =========  ======
action             admin  moderator  member
=================  =====  =========  ======
edit_group         yes    no         no
delete_group       yes    no         no
manage_roles       yes    no         no
approve_members    yes    yes        no
moderate           yes    yes        no
post_as_group      yes    yes        no
see_members        yes    yes        yes
=================  =====  =========  ======
"""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import is_row_id
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.i18n import _, lazy_gettext
from server.models import (
    ROLES,
    Event,
    Group,
    Membership,
    MembershipMode,
    MembershipState,
    User,
    UserState,
    stored_id,
)

PERMISSIONS: dict[str, frozenset[str]] = {
    "edit_group": frozenset({"admin"}),
    "delete_group": frozenset({"admin"}),
    "manage_roles": frozenset({"admin"}),
    "approve_members": frozenset({"admin", "moderator"}),
    "moderate": frozenset({"admin", "moderator"}),
    "post_as_group": frozenset({"admin", "moderator"}),
    "see_members": frozenset({"admin", "moderator", "member"}),
}


async def get_membership(
    session: AsyncSession, group: Group, user: User | None
) -> Membership | None:
    """The user's membership row in the group, if any."""
    if user is None:
        return None
    query = select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    return (await session.exec(query)).first()


def may(user: User | None, membership: Membership | None, action: str) -> bool:
    """Whether this user, with this membership, may do ``action`` in the group."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or user.state != UserState.ACTIVE:
        return False
    if user.is_admin:
        return True
    if membership is None or membership.state != MembershipState.ACTIVE:
        return False
    return membership.role in PERMISSIONS[action]


async def require(session: AsyncSession, group: Group, user: User | None, action: str) -> None:
    """Raise Forbidden unless the user may do ``action`` in the group."""
    if not may(user, await get_membership(session, group, user), action):
        raise Forbidden(_("You are not allowed to do that in this group."))


async def join_group(session: AsyncSession, group: Group, user: User) -> Membership:
    """Join an open group at once, or ask to join an approval group; invite groups refuse."""
    existing = await get_membership(session, group, user)
    if existing is not None:
        raise Conflict(_("You are already a member of this group or waiting for approval."))
    if group.membership_mode == MembershipMode.INVITE:
        raise Forbidden(_("This group is by invitation only."))
    open_group = group.membership_mode == MembershipMode.OPEN
    state = MembershipState.ACTIVE if open_group else MembershipState.PENDING
    membership = Membership(
        group_id=stored_id(group), user_id=stored_id(user), role="member", state=state
    )
    session.add(membership)
    await session.flush()
    return membership


async def _count_admins(session: AsyncSession, group: Group) -> int:
    query = (
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.group_id == group.id,
            Membership.role == "admin",
            Membership.state == MembershipState.ACTIVE,
        )
    )
    return (await session.exec(query)).one()


async def is_only_admin(session: AsyncSession, group: Group, membership: Membership | None) -> bool:
    """Whether this membership is the group's only active admin (who may not leave)."""
    if (
        membership is None
        or membership.role != "admin"
        or membership.state != MembershipState.ACTIVE
    ):
        return False
    return await _count_admins(session, group) <= 1


ONLY_ADMIN = lazy_gettext(
    "You are the group's only admin, so you cannot leave yet: make another member admin on"
    " the Members page first, or delete the group from Edit group."
)


async def leave_group(session: AsyncSession, group: Group, user: User) -> None:
    """Leave a group; its last admin must hand over first."""
    membership = await get_membership(session, group, user)
    if membership is None:
        raise NotFound(_("You are not a member of this group."))
    if await is_only_admin(session, group, membership):
        raise Conflict(str(ONLY_ADMIN))
    await session.delete(membership)
    await session.flush()


async def set_role(session: AsyncSession, group: Group, member: User, role: str) -> Membership:
    """Change a member's role, keeping at least one admin."""
    if role not in ROLES:
        raise InvalidInput(
            _("Role is one of %(choices)s.") % {"choices": ", ".join(ROLES)}, field="role"
        )
    membership = await get_membership(session, group, member)
    if membership is None or membership.state != MembershipState.ACTIVE:
        raise NotFound(
            _("%(username)s is not a member of this group.") % {"username": member.username}
        )
    if membership.role == "admin" and role != "admin" and await _count_admins(session, group) <= 1:
        raise Conflict(_("A group needs at least one admin."))
    membership.role = role
    session.add(membership)
    await session.flush()
    return membership


async def list_members(
    session: AsyncSession, group: Group, *, state: MembershipState = MembershipState.ACTIVE
) -> list[tuple[User, Membership]]:
    """Members in one state, admins first, then by name."""
    order = {"admin": 0, "moderator": 1, "member": 2}
    query = (
        select(User, Membership)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.group_id == group.id, Membership.state == state)
        .order_by(func.lower(User.username))
    )
    rows = [(user, membership) for user, membership in (await session.exec(query)).all()]
    return sorted(rows, key=lambda row: order.get(row[1].role, 3))


async def member_count(session: AsyncSession, group: Group) -> int:
    """How many active members the group has."""
    query = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.group_id == group.id, Membership.state == MembershipState.ACTIVE)
    )
    return (await session.exec(query)).one()


async def approve_member(session: AsyncSession, group: Group, member: User, approve: bool) -> None:
    """Accept or turn down a pending request to join."""
    membership = await get_membership(session, group, member)
    if membership is None or membership.state != MembershipState.PENDING:
        raise NotFound(_("%(username)s has no pending request.") % {"username": member.username})
    if approve:
        membership.state = MembershipState.ACTIVE
        session.add(membership)
    else:
        await session.delete(membership)
    await session.flush()


async def visible_event(
    session: AsyncSession, event_id: int, user: User | None
) -> tuple[Event, Group, Membership | None]:
    """The meetup, its group and the viewer's membership, if ``user`` may see it: a
    members-only meetup is a 404 to anyone else (its existence is not told)."""
    event = await session.get(Event, event_id) if is_row_id(event_id) else None
    group = await session.get(Group, event.group_id) if event is not None else None
    if event is None or group is None:
        raise NotFound(_("No such meetup."))
    membership = await get_membership(session, group, user)
    if event.visibility == "members" and not may(user, membership, "see_members"):
        raise NotFound(_("No such meetup."))
    return event, group, membership
