"""Mastodon users can only follow: in a group that approves its members (approval or invite
mode), an approved follow is how someone on another server becomes a member, and undoing
the follow ends that membership (see PROTOCOL.md, "Group membership")."""

from __future__ import annotations

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import utcnow
from server.models import Group, MembershipMode, MembershipState, RemoteActor, RemoteMember
from server.uris import LocalUris


async def _approving_group(session: AsyncSession, uris: LocalUris, followee: str) -> Group | None:
    found = uris.local_actor_path(followee)
    if found is None or found[0] != "groups":
        return None
    group = (await session.exec(select(Group).where(Group.slug == found[1]))).first()
    return group if group is not None and group.membership_mode != MembershipMode.OPEN else None


async def admit_follower(
    session: AsyncSession, uris: LocalUris, group: Group, follower: str, activity_uri: str = ""
) -> RemoteMember | None:
    """An accepted follow of ``group``, if it approves its members, makes the follower a
    member."""
    if group.membership_mode == MembershipMode.OPEN or uris.is_local(follower):
        return None
    query = select(RemoteMember).where(
        RemoteMember.group_id == group.id, RemoteMember.actor_uri == follower
    )
    member = (await session.exec(query)).first() or RemoteMember(
        group_id=group.id or 0, actor_uri=follower, via="follow"
    )
    member.state = MembershipState.ACTIVE
    member.activity_uri = activity_uri[:2048] or member.activity_uri
    member.updated_at = utcnow()
    session.add(member)
    return member


async def drop_follower(
    session: AsyncSession, uris: LocalUris, follower: str, followee: str
) -> None:
    """Undoing the follow ends a membership that came from it."""
    group = await _approving_group(session, uris, followee)
    if group is not None:
        await session.exec(
            delete(RemoteMember).where(
                col(RemoteMember.group_id) == group.id,
                col(RemoteMember.actor_uri) == follower,
                col(RemoteMember.via) == "follow",
            )
        )


async def remote_members_of(
    session: AsyncSession, group: Group
) -> list[tuple[RemoteActor, RemoteMember]]:
    """The group's active members on other servers, by handle."""
    query = (
        select(RemoteActor, RemoteMember)
        .join(RemoteMember, col(RemoteMember.actor_uri) == col(RemoteActor.uri))
        .where(RemoteMember.group_id == group.id, RemoteMember.state == MembershipState.ACTIVE)
        .order_by(col(RemoteActor.username))
    )
    return [(actor, member) for actor, member in (await session.exec(query)).all()]
