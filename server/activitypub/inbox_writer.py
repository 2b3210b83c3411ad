"""Storing accepted inbox activities with group commit: activities that arrive together are
written in one transaction, and each POST is answered 202 only once its activity is
committed (nothing is acknowledged that a crash could lose).

Under load, one commit serves every request that arrived while the previous one was being
written, instead of a transaction per request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.queue import mark_hosts_available
from server.db import note_inserted, transaction, utcnow
from server.models import InboxActivity
from server.uris import host_of

log = logging.getLogger(__name__)

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


@dataclass
class _Pending:
    row: Incoming
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class InboxWriter:
    """Queues rows and commits them in batches (see the module docstring)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._pending: list[_Pending] = []
        self._flushing: asyncio.Task[None] | None = None

    async def store(self, row: Incoming) -> None:
        """Return once ``row`` is committed (or was already stored: duplicates are dropped)."""
        item = _Pending(row)
        self._pending.append(item)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_all())
        await asyncio.shield(item.done)

    async def _flush_all(self) -> None:
        await asyncio.sleep(0)  # let the requests that arrived with this one join the batch
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                await self._write(batch)
            except IntegrityError:
                await self._write_one_by_one(batch)  # a duplicate raced in from elsewhere
            except Exception as error:
                log.exception("storing %d inbox activities failed", len(batch))
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(error)
                continue
            for item in batch:
                if not item.done.done():
                    item.done.set_result(None)

    async def _write(self, batch: list[_Pending]) -> None:
        async with transaction(self.sessions) as session:
            await self._add_new(session, batch)

    async def _write_one_by_one(self, batch: list[_Pending]) -> None:
        for item in batch:
            try:
                async with transaction(self.sessions) as session:
                    await self._add_new(session, [item])
            except IntegrityError:
                pass  # stored by someone else meanwhile: that is the one kept

    async def _add_new(self, session: AsyncSession, batch: list[_Pending]) -> None:
        uris = {item.row.activity_uri for item in batch}
        query = select(InboxActivity.activity_uri).where(col(InboxActivity.activity_uri).in_(uris))
        seen = set((await session.exec(query)).all())
        now, new = utcnow(), []
        for item in batch:
            if item.row.activity_uri not in seen:
                seen.add(item.row.activity_uri)
                new.append({**vars(item.row), "received_at": now, "attempts": 0, "result": ""})
        if new:
            connection = await session.connection()
            await connection.execute(insert(InboxActivity), new)
            note_inserted(session, InboxActivity)
        await mark_hosts_available(session, {host_of(item.row.actor_uri) for item in batch})
