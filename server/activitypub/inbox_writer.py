"""Storing accepted inbox activities with group commit (``group_commit.py``): activities
that arrive together are written in one transaction, and each POST is answered 202 only
once its activity is committed (nothing is acknowledged that a crash could lose).

A batch is one ``INSERT … ON CONFLICT DO NOTHING`` (an activity already stored, or stored
by another process at the same moment, is kept once). Senders' hosts that deliveries had
given up on are marked available again; which hosts those are is read at most every
:data:`UNAVAILABLE_REFRESH_SECONDS` (and after a batch marked some), so a batch from hosts
in good standing (nearly all) costs no other statement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.group_commit import GroupCommit
from server.activitypub.queue import mark_hosts_available, unavailable_hosts
from server.db import dialect_of, insert_new, note_inserted, utcnow
from server.models import InboxActivity
from server.uris import host_of

#: At most this many activities per transaction.
MAX_BATCH = 200
#: How long the list of hosts given up on is trusted: a host given up on in this window
#: is marked available by the first activity it sends after the list is read again.
UNAVAILABLE_REFRESH_SECONDS = 30.0


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
        super().__init__(sessions, self._add_new, MAX_BATCH)
        self._unavailable: set[str] = set()
        self._unavailable_read_at = float("-inf")

    async def store(self, row: Incoming) -> None:
        """Return once ``row`` is committed (or was already stored: duplicates are dropped)."""
        await self.submit(row)

    async def _add_new(self, session: AsyncSession, batch: list[Incoming]) -> list[None]:
        """Insert the activities not stored yet; their senders' hosts are available again."""
        now, rows, seen = utcnow(), [], set()
        for row in batch:
            if row.activity_uri not in seen:
                seen.add(row.activity_uri)
                rows.append({**vars(row), "received_at": now, "attempts": 0, "result": ""})
        statement = insert_new(dialect_of(session), InboxActivity, keys=("activity_uri",))
        await (await session.connection()).execute(statement, rows)
        note_inserted(session, InboxActivity)
        await self._mark_available(session, {host_of(row.actor_uri) for row in batch})
        return [None] * len(batch)

    async def _mark_available(self, session: AsyncSession, hosts: set[str]) -> None:
        """Deliver again to the senders' hosts that deliveries had given up on."""
        if time.monotonic() - self._unavailable_read_at > UNAVAILABLE_REFRESH_SECONDS:
            self._unavailable = await unavailable_hosts(session)
            self._unavailable_read_at = time.monotonic()
        if returning := hosts & self._unavailable:
            await mark_hosts_available(session, returning)
            # Read the list again next time, not trusting this transaction to commit
            # (if it does not, the same hosts are marked by the next batch).
            self._unavailable_read_at = float("-inf")
