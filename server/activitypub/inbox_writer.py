"""Storing accepted inbox activities with group commit (``group_commit.py``): activities
that arrive together are written in one transaction, and each POST is answered 202 only
once its activity is committed (nothing is acknowledged that a crash could lose)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.group_commit import GroupCommit
from server.activitypub.queue import mark_hosts_available
from server.db import note_inserted, utcnow
from server.models import InboxActivity
from server.uris import host_of

#: At most this many activities per transaction.
MAX_BATCH = 200


@dataclass(frozen=True)
class Incoming:
    """A verified activity to store (plain data: building ORM objects cost more than the
    insert itself at a thousand POSTs a second)."""

    activity_uri: str
    actor_uri: str
    type: str
    body: str


class InboxWriter(GroupCommit[Incoming, None]):
    """Queues rows and commits them in batches (see the module docstring)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, _add_new, MAX_BATCH)

    async def store(self, row: Incoming) -> None:
        """Return once ``row`` is committed (or was already stored: duplicates are dropped)."""
        await self.submit(row)

    async def _write_alone(self, item: Incoming) -> None:
        with contextlib.suppress(IntegrityError):  # a duplicate raced in from elsewhere:
            await super()._write_alone(item)  # that one is kept


async def _add_new(session: AsyncSession, batch: list[Incoming]) -> list[None]:
    """Insert the activities not stored yet; their senders' hosts are available again."""
    uris = {row.activity_uri for row in batch}
    query = select(InboxActivity.activity_uri).where(col(InboxActivity.activity_uri).in_(uris))
    seen = set((await session.exec(query)).all())
    now, new = utcnow(), []
    for row in batch:
        if row.activity_uri not in seen:
            seen.add(row.activity_uri)
            new.append({**vars(row), "received_at": now, "attempts": 0, "result": ""})
    if new:
        connection = await session.connection()
        await connection.execute(insert(InboxActivity), new)
        note_inserted(session, InboxActivity)
    await mark_hosts_available(session, {host_of(row.actor_uri) for row in batch})
    return [None] * len(batch)
