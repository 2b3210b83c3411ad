"""Publishing: store an activity a local actor authored and queue it for its recipients."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.delivery import Recipient, dedupe_inboxes
from federation.jsonld import JsonObject, get_id, is_public
from server.activitypub.queue import enqueue
from server.models_federation import Follow, OutboxActivity, RemoteActor


async def follower_recipients(session: AsyncSession, followee_uri: str) -> list[RemoteActor]:
    """Remote actors whose follow of ``followee_uri`` was accepted."""
    query = (
        select(RemoteActor)
        .join(Follow, col(Follow.follower_uri) == col(RemoteActor.uri))
        .where(Follow.followee_uri == followee_uri, Follow.state == "accepted")
        .order_by(col(RemoteActor.id))
    )
    return list((await session.exec(query)).all())


def inboxes_of(actors: Iterable[RemoteActor]) -> list[str]:
    """One inbox per server where a shared inbox exists, else each actor's inbox."""
    return dedupe_inboxes(
        Recipient(inbox=actor.inbox, shared_inbox=actor.shared_inbox or None) for actor in actors
    )


async def publish(
    session: AsyncSession, activity: JsonObject, inboxes: Iterable[str]
) -> OutboxActivity:
    """Store the activity (its JSON is sent byte for byte) and queue one delivery per inbox."""
    row = OutboxActivity(
        activity_uri=activity["id"],
        actor_uri=str(get_id(activity["actor"])),
        type=activity["type"],
        object_uri=get_id(activity.get("object")) or "",
        body=json.dumps(activity, ensure_ascii=False, separators=(",", ":")),
        is_public=is_public(activity.get("to")) or is_public(activity.get("cc")),
    )
    session.add(row)
    await session.flush()
    await enqueue(session, row, inboxes)
    return row


async def publish_to_followers(
    session: AsyncSession, activity: JsonObject, followee_uri: str, extra: Iterable[str] = ()
) -> OutboxActivity:
    """Publish to every follower of ``followee_uri`` (plus ``extra`` inboxes)."""
    followers = await follower_recipients(session, followee_uri)
    return await publish(session, activity, [*inboxes_of(followers), *extra])
