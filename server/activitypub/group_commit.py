"""Group commit: rows that arrive together are written in one transaction, and each caller
is answered only once its row is committed (nothing is acknowledged that a crash could lose).

Under load, one commit serves every caller that arrived while the previous one was being
written, instead of a transaction per caller. The inbox's activities and the actors fetched
for new senders' keys are written so; the key ids of new senders are looked up so too (one
query for the lookups that arrive together).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Writes a batch in the given session; returns one result per item, in order.
Write = Callable[[AsyncSession, list[T]], Awaitable[Sequence[R]]]


@dataclass
class _Pending(Generic[T, R]):
    item: T
    done: asyncio.Future[R] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit(Generic[T, R]):
    """Queues items and writes them in batches of at most ``max_batch`` with ``write``.

    A batch that fails is written again one item at a time, so one bad item fails only its
    own caller; :meth:`_write_alone` says what a single item's failure means.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], write: Write[T, R], max_batch: int
    ) -> None:
        self.sessions = sessions
        self._write_batch = write
        self._max_batch = max_batch
        self._pending: list[_Pending[T, R]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Return ``item``'s result once its batch is committed."""
        pending: _Pending[T, R] = _Pending(item)
        self._pending.append(pending)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_all())
        return await asyncio.shield(pending.done)

    async def _flush_all(self) -> None:
        await asyncio.sleep(0)  # let the callers that arrived with this one join the batch
        while self._pending:
            batch = self._pending[: self._max_batch]
            self._pending = self._pending[self._max_batch :]
            try:
                results = await self._write(batch)
            except Exception:  # each item again on its own: only the bad one fails
                await self._settle_one_by_one(batch)
                continue
            for pending, result in zip(batch, results, strict=True):
                if not pending.done.done():
                    pending.done.set_result(result)

    async def _write(self, batch: list[_Pending[T, R]]) -> Sequence[R]:
        async with transaction(self.sessions) as session:
            return await self._write_batch(session, [pending.item for pending in batch])

    async def _settle_one_by_one(self, batch: list[_Pending[T, R]]) -> None:
        for pending in batch:
            try:
                result = await self._write_alone(pending.item)
            except Exception as error:
                log.exception("a group-committed item could not be written")
                if not pending.done.done():
                    pending.done.set_exception(error)
                continue
            if not pending.done.done():
                pending.done.set_result(result)

    async def _write_alone(self, item: T) -> R:
        """Write one item in its own transaction (after its batch failed)."""
        async with transaction(self.sessions) as session:
            [result] = await self._write_batch(session, [item])
        return result
