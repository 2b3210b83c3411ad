"""Members-only content is addressed to the group's members by name (never public, never to
followers, never announced) and delivered to their inboxes only."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject
from server.activitypub.publish import inboxes_of, publish
from server.models import Group
from server.services.remote_membership import member_actors


async def publish_to_members(
    session: AsyncSession, activity: JsonObject, group: Group
) -> int | None:
    """Deliver to the members' inboxes (one per server with a shared inbox); the stored
    activity's id, or None when the group has no members elsewhere."""
    inboxes = inboxes_of(await member_actors(session, group))
    return await publish(session, activity, inboxes) if inboxes else None
