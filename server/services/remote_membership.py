"""Members on other servers: asking to join (Mobilizon ``Join``), invitations by handle,
moderators approving, removing and changing roles, leaving.

States of a :class:`RemoteMember`: ``invited`` (a moderator invited them; their Join or
Follow is accepted at once), ``pending`` (waiting for a moderator), ``active``. The group's
mode decides what a Join gets: open → a member at once; approval → pending; invite → only
the invited get in.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import is_row_id, utcnow
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.i18n import _
from server.models import ROLES, Group, MembershipMode, MembershipState, RemoteActor, RemoteMember


async def find(session: AsyncSession, group: Group, actor_uri: str) -> RemoteMember | None:
    """The person's membership row in the group (any state), if any."""
    query = select(RemoteMember).where(
        RemoteMember.group_id == group.id, RemoteMember.actor_uri == actor_uri
    )
    return (await session.exec(query)).first()


async def get(session: AsyncSession, group: Group, member_id: int) -> RemoteMember:
    """The group's remote member with this id, or NotFound."""
    member = await session.get(RemoteMember, member_id) if is_row_id(member_id) else None
    if member is None or member.group_id != group.id:
        raise NotFound(_("No such member."))
    return member


def _touch(session: AsyncSession, member: RemoteMember) -> RemoteMember:
    member.updated_at = utcnow()
    session.add(member)
    return member


async def request_join(
    session: AsyncSession, group: Group, actor_uri: str, activity_uri: str, *, via: str = "join"
) -> RemoteMember:
    """Someone on another server asks to join: active, pending, or Forbidden (invite only)."""
    member = await find(session, group, actor_uri)
    if member is not None and member.state == MembershipState.ACTIVE:
        return member
    invited = member is not None and member.state == MembershipState.INVITED
    if group.membership_mode == MembershipMode.INVITE and not invited:
        raise Forbidden(_("This group is by invitation only."))
    member = member or RemoteMember(group_id=group.id or 0, actor_uri=actor_uri, via=via)
    member.state = (
        MembershipState.ACTIVE
        if group.membership_mode == MembershipMode.OPEN or invited
        else MembershipState.PENDING
    )
    member.activity_uri = activity_uri[:2048] or member.activity_uri
    return _touch(session, member)


async def invite(session: AsyncSession, group: Group, actor_uri: str) -> RemoteMember:
    """Invite someone on another server; their Join or Follow will then be accepted."""
    member = await find(session, group, actor_uri)
    if member is not None and member.state == MembershipState.ACTIVE:
        raise Conflict(_("They are already a member of this group."))
    if member is not None and member.state == MembershipState.PENDING:
        member.state = MembershipState.ACTIVE  # they asked already: the invitation is the approval
    else:
        member = member or RemoteMember(group_id=group.id or 0, actor_uri=actor_uri, via="invite")
        member.state = MembershipState.INVITED
    return _touch(session, member)


async def decide(
    session: AsyncSession, group: Group, member: RemoteMember, *, approve: bool
) -> RemoteMember | None:
    """Approve (active) or decline (removed) a pending request; returns the row if kept."""
    if member.group_id != group.id or member.state != MembershipState.PENDING:
        raise NotFound(_("No such request to join."))
    if approve:
        member.state = MembershipState.ACTIVE
        return _touch(session, member)
    await session.delete(member)
    await session.flush()
    return None


async def set_role(
    session: AsyncSession, group: Group, member: RemoteMember, role: str
) -> RemoteMember:
    """Change an active remote member's role (admin stays with local people)."""
    if role not in ROLES or role == "admin":
        raise InvalidInput(
            _("A member on another server is a member or a moderator."), field="role"
        )
    if member.group_id != group.id or member.state != MembershipState.ACTIVE:
        raise NotFound(_("No such member."))
    member.role = role
    return _touch(session, member)


async def remove(session: AsyncSession, member: RemoteMember) -> None:
    """End a membership (a moderator's Remove, or the person's Leave)."""
    await session.delete(member)
    await session.flush()


async def is_active_member(session: AsyncSession, group: Group, actor_uri: str) -> bool:
    """Whether this remote actor is an active member of the group."""
    member = await find(session, group, actor_uri)
    return member is not None and member.state == MembershipState.ACTIVE


async def with_actors(
    session: AsyncSession, group: Group, state: MembershipState
) -> list[tuple[RemoteActor, RemoteMember]]:
    """The group's remote members in ``state`` with their actors, oldest first."""
    query = (
        select(RemoteActor, RemoteMember)
        .join(RemoteMember, col(RemoteMember.actor_uri) == col(RemoteActor.uri))
        .where(RemoteMember.group_id == group.id, RemoteMember.state == state)
        .order_by(col(RemoteMember.created_at))
    )
    return [(actor, member) for actor, member in (await session.exec(query)).all()]


async def member_actors(session: AsyncSession, group: Group) -> list[RemoteActor]:
    """The group's active members on other servers."""
    query = (
        select(RemoteActor)
        .join(RemoteMember, col(RemoteMember.actor_uri) == col(RemoteActor.uri))
        .where(RemoteMember.group_id == group.id, RemoteMember.state == MembershipState.ACTIVE)
        .order_by(col(RemoteActor.id))
    )
    return list((await session.exec(query)).all())


async def member_uris(session: AsyncSession, group: Group) -> list[str]:
    """The ``to`` of members-only objects: every remote member by name."""
    return [actor.uri for actor in await member_actors(session, group)]
