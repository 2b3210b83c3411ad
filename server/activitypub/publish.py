"""Publishing: store an activity a local actor authored and queue it for its recipients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import bindparam, insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.delivery import Recipient, dedupe_inboxes
from federation.jsonld import JsonObject, get_id, is_public
from server.activitypub.queue import enqueue, put_failing_hosts_last
from server.db import UTCDateTime, note_inserted, utcnow
from server.models import Follow, FollowState, OutboxActivity, RemoteActor, read_id

FOLLOWER_BATCH = 1000


def inboxes_of(actors: Iterable[RemoteActor]) -> list[str]:
    """One inbox per server where a shared inbox exists, else each actor's inbox."""
    return dedupe_inboxes(
        Recipient(inbox=actor.inbox, shared_inbox=actor.shared_inbox or None) for actor in actors
    )


# Built once, with parameters (see follows.py).
_STORE = (
    insert(OutboxActivity)
    .values(
        activity_uri=bindparam("activity_uri"),
        actor_uri=bindparam("actor_uri"),
        type=bindparam("type"),
        object_uri=bindparam("object_uri"),
        body=bindparam("body"),
        is_public=bindparam("is_public"),
        created_at=bindparam("created_at", type_=UTCDateTime()),
    )
    .returning(col(OutboxActivity.id))
)


async def _store(session: AsyncSession, activity: JsonObject) -> int:
    """Store the activity (one prepared ``INSERT``, after what the session holds is flushed
    as before); returns its row's id."""
    await session.flush()
    row = {
        "activity_uri": activity["id"],
        "actor_uri": str(get_id(activity["actor"])),
        "type": activity["type"],
        "object_uri": get_id(activity.get("object")) or "",
        "body": json.dumps(activity, ensure_ascii=False, separators=(",", ":")),
        "is_public": is_public(activity.get("to")) or is_public(activity.get("cc")),
        "created_at": utcnow(),
    }
    stored = await (await session.connection()).execute(_STORE, row)
    note_inserted(session, OutboxActivity)
    return read_id(stored.scalar_one())


async def publish(session: AsyncSession, activity: JsonObject, inboxes: Iterable[str]) -> int:
    """Store the activity (its JSON is sent byte for byte) and queue one delivery per inbox;
    returns the stored activity's id."""
    activity_id = await _store(session, activity)
    queued = await enqueue(session, activity_id, inboxes)
    await put_failing_hosts_last(session, activity_id, queued)
    return activity_id


async def follower_inboxes(
    session: AsyncSession, followee_uri: str, *, batch: int = FOLLOWER_BATCH
) -> AsyncIterator[list[str]]:
    """The inboxes of the accepted followers of ``followee_uri``, one per server where it has a
    shared inbox (deduplicated by the database), streamed in batches: memory stays flat
    however many followers there are."""
    inbox = func.coalesce(func.nullif(RemoteActor.shared_inbox, ""), RemoteActor.inbox)
    query = (
        select(inbox)
        .join(Follow, col(Follow.follower_uri) == col(RemoteActor.uri))
        .where(Follow.followee_uri == followee_uri, Follow.state == FollowState.ACCEPTED)
        .distinct()
    )
    result = await session.stream(query)
    async for rows in result.partitions(batch):
        yield [str(row[0]) for row in rows]


async def publish_to_followers(
    session: AsyncSession, activity: JsonObject, followee_uri: str, extra: Iterable[str] = ()
) -> int:
    """Publish to every follower of ``followee_uri`` (plus ``extra`` inboxes); returns the
    stored activity's id."""
    activity_id = await _store(session, activity)
    extras = set(extra)
    queued = await enqueue(session, activity_id, extras)
    async for inboxes in follower_inboxes(session, followee_uri):
        queued += await enqueue(
            session, activity_id, (inbox for inbox in inboxes if inbox not in extras)
        )
    await put_failing_hosts_last(session, activity_id, queued)
    return activity_id
