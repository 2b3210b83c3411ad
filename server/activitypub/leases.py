"""Leases kept while a worker holds work: claimed deliveries and inbox activities.

A claim leases rows for ``federation.lease_seconds``; rows then wait (behind the per-host
limit, or behind the rest of an inbox batch) for as long as it takes. Without renewal a
lease runs out while its row waits, and the next claim (this worker's or another's) takes
the row again: the same activity delivered twice with no crash at all (issue #15).

So the worker renews the leases of everything it holds every quarter of the lease, in
one ``UPDATE`` per table, and never starts a request for a row whose lease it cannot be
sure of (less than a quarter lease left, as far as it knows): such a row is left alone
and claimed again later. Duplicates then come only from a crash, and only for requests
that were under way when it happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import transaction, utcnow
from server.models import Delivery, DeliveryState, InboxActivity

log = logging.getLogger(__name__)

#: Rows renewed per statement (keeps the parameter count small on every database).
RENEW_CHUNK = 500


class Held:
    """Row ids of one table with the (monotonic) time each lease is known to last until."""

    def __init__(self) -> None:
        self.until: dict[int, float] = {}

    def add(self, ids: Iterable[int], until: float) -> None:
        for row_id in ids:
            self.until[row_id] = until


class LeaseKeeper:
    """Renews the leases of the rows a worker holds; tells whether a lease is still safe."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], lease: timedelta) -> None:
        self.sessions = sessions
        self.lease = lease
        self.deliveries = Held()
        self.inbox = Held()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()

    @property
    def interval(self) -> float:
        """How often leases are renewed, and the margin a row needs to be started."""
        return self.lease.total_seconds() / 4

    def claimed(self, held: Held, ids: Iterable[int], since: float) -> None:
        """Rows claimed by a transaction that began at ``since`` (monotonic)."""
        ids = list(ids)
        if not ids:
            return
        held.add(ids, since + self.lease.total_seconds())
        self._idle.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._keep())

    def release(self, held: Held, row_id: int) -> None:
        """The row is done with (recorded, processed, or left alone)."""
        held.until.pop(row_id, None)
        if not self.deliveries.until and not self.inbox.until:
            self._idle.set()  # the keeper stops at once instead of sleeping on

    def safe(self, held: Held, row_id: int) -> bool:
        """Whether the lease on the row lasts at least another quarter lease."""
        return time.monotonic() < held.until.get(row_id, 0.0) - self.interval

    async def stop(self) -> None:
        """Stop renewing (the process is stopping: its leases run out, others take over)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _keep(self) -> None:
        while self.deliveries.until or self.inbox.until:
            with contextlib.suppress(TimeoutError):  # not wait_for: see Worker._idle
                async with asyncio.timeout(self.interval):
                    await self._idle.wait()
            if self._idle.is_set():
                return
            try:
                await self.renew()
            except Exception:
                log.exception("renewing leases failed")

    async def renew(self) -> None:
        """Extend every held lease by ``lease`` from now."""
        started = time.monotonic()
        # Only leases still ours: one that ran out may have been taken by another claim.
        deliveries = [i for i, until in self.deliveries.until.items() if until > started]
        inbox = [i for i, until in self.inbox.until.items() if until > started]
        if not deliveries and not inbox:
            return
        async with transaction(self.sessions) as session:
            until = utcnow() + self.lease
            pending = (
                col(Delivery.state) == DeliveryState.PENDING,
                col(Delivery.leased_until).is_not(None),
            )
            await _extend(session, Delivery, deliveries, pending, until)
            unprocessed = (col(InboxActivity.processed_at).is_(None),)
            await _extend(session, InboxActivity, inbox, unprocessed, until)
        deadline = started + self.lease.total_seconds()
        for held, ids in ((self.deliveries, deliveries), (self.inbox, inbox)):
            for row_id in ids:
                if row_id in held.until:
                    held.until[row_id] = deadline


async def _extend(
    session: AsyncSession,
    model: type[Delivery] | type[InboxActivity],
    ids: list[int],
    conditions: tuple[Any, ...],
    until: datetime,
) -> None:
    """Set ``leased_until`` of these rows (those still meeting ``conditions``), in chunks."""
    for start in range(0, len(ids), RENEW_CHUNK):
        chunk = ids[start : start + RENEW_CHUNK]
        await session.exec(
            update(model).where(col(model.id).in_(chunk), *conditions).values(leased_until=until)
        )
