"""Members-only content is addressed to the group's members by name (never public, never to
followers, never announced) and delivered to their inboxes only."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject
from server.activitypub.publish import inboxes_of, publish
from server.models import Group, OutboxActivity, RemoteActor, RemoteMember


async def member_actors(session: AsyncSession, group: Group) -> list[RemoteActor]:
    """The group's active members on other servers."""
    query = (
        select(RemoteActor)
        .join(RemoteMember, col(RemoteMember.actor_uri) == col(RemoteActor.uri))
        .where(RemoteMember.group_id == group.id, RemoteMember.state == "active")
        .order_by(col(RemoteActor.id))
    )
    return list((await session.exec(query)).all())


async def member_uris(session: AsyncSession, group: Group) -> list[str]:
    """The ``to`` of members-only objects: every remote member by name."""
    return [actor.uri for actor in await member_actors(session, group)]


async def publish_to_members(
    session: AsyncSession, activity: JsonObject, group: Group
) -> OutboxActivity | None:
    """Deliver to the members' inboxes (one per server with a shared inbox); None when the
    group has no members elsewhere."""
    inboxes = inboxes_of(await member_actors(session, group))
    return await publish(session, activity, inboxes) if inboxes else None
