"""The background worker: processes stored inbox activities and delivers queued activities.

``run_once()`` does one bounded round and reports what it did, so tests drive the worker
deterministically (``FederationNet.drain()``); ``run_forever()`` loops inside
``hearth serve`` or alone as ``hearth worker``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import col, select

from federation.delivery import DeliveryOutcome, post_activity
from server.activitypub.local import LocalActor, local_actor_by_uri
from server.activitypub.policy import is_domain_allowed
from server.activitypub.processing import InboxProcessor
from server.activitypub.queue import (
    ClaimedDelivery,
    claim_due,
    record_outcome,
    skip_unavailable,
    unavailable_hosts,
)
from server.activitypub.uris import LocalUris
from server.db import transaction
from server.models_federation import InboxActivity, OutboxActivity
from server.services.event_publishing import publish_due_occurrences
from server.services.series import extend_series

log = logging.getLogger(__name__)

BATCH = 64
PER_HOST = 4
IDLE_SECONDS = 2.0
MAX_IN_FLIGHT = 128
ANNOUNCE_EVERY_SECONDS = 60.0
BLOCKED = "domain blocked by this instance's federation policy"


@dataclass(frozen=True)
class RoundReport:
    """What one round did."""

    processed: int
    delivered: int
    failed: int

    @property
    def busy(self) -> bool:
        return bool(self.processed or self.delivered or self.failed)


class Worker:
    """Processes the inbox and the delivery queue of one app."""

    def __init__(self, app_state: object) -> None:
        self.state = app_state
        self.uris = LocalUris(app_state.settings)  # type: ignore[attr-defined]
        self.sessions = app_state.sessions  # type: ignore[attr-defined]
        self.processor = InboxProcessor(app_state)
        self._wake = asyncio.Event()
        self._last_announce = -ANNOUNCE_EVERY_SECONDS
        self._in_flight: set[asyncio.Task[str]] = set()
        self._outcomes: list[tuple[ClaimedDelivery, DeliveryOutcome, asyncio.Future[str]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(PER_HOST)
        )

    def wake(self) -> None:
        """Start the next round now (new work arrived)."""
        self._wake.set()

    async def run_once(self) -> RoundReport:
        """Process pending inbox activities, announce meetups that came due, deliver a batch."""
        processed = await self._process_inbox()
        await self.announce_due_meetups()
        delivered, failed = await self._deliver_batch()
        return RoundReport(processed, delivered, failed)

    async def run_forever(self) -> None:
        """Loop until cancelled. Deliveries run as background tasks (at most ``MAX_IN_FLIGHT``),
        so a slow inbox never holds up the others; the loop sleeps when there is nothing to do."""
        try:
            while True:
                try:
                    busy = await self._round_in_background()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("worker round failed")
                    busy = False
                if not busy:
                    await self._idle()
        finally:
            for task in self._in_flight:
                task.cancel()

    async def _round_in_background(self) -> bool:
        processed = await self._process_inbox()
        await self.announce_due_meetups()
        room = MAX_IN_FLIGHT - len(self._in_flight)
        started = await self._start_deliveries(limit=min(room, BATCH)) if room > 0 else []
        for task in started:
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return bool(processed or started)

    async def _idle(self) -> None:
        """Wait for new work, a delivery to finish, or IDLE_SECONDS."""
        self._wake.clear()
        waiters = [asyncio.ensure_future(self._wake.wait()), *self._in_flight]
        try:
            await asyncio.wait(waiters, timeout=IDLE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiters[0].cancel()

    async def announce_due_meetups(self, *, force: bool = False) -> int:
        """Federate series occurrences now within their announcement window (once a minute)."""
        now = time.monotonic()
        if not force and now - self._last_announce < ANNOUNCE_EVERY_SECONDS:
            return 0
        self._last_announce = now
        async with transaction(self.sessions) as session:
            await extend_series(session)
            return await publish_due_occurrences(session, self.uris)

    async def _process_inbox(self) -> int:
        async with transaction(self.sessions) as session:
            rows = await session.exec(
                select(InboxActivity.id)
                .where(col(InboxActivity.processed_at).is_(None), col(InboxActivity.attempts) < 5)
                .order_by(col(InboxActivity.id))
                .limit(BATCH)
            )
            ids = list(rows.all())
        for activity_id in ids:
            await self.processor.process(activity_id)
        return len(ids)

    async def _deliver_batch(self) -> tuple[int, int]:
        """Deliver one batch and wait for it (``run_once``: deterministic for tests)."""
        tasks = await self._start_deliveries(limit=BATCH)
        states = await asyncio.gather(*tasks)
        delivered = states.count("delivered")
        return delivered, len(states) - delivered

    async def _start_deliveries(self, *, limit: int) -> list[asyncio.Task[str]]:
        """Claim due deliveries and start one task each; each task records its own outcome."""
        async with transaction(self.sessions) as session:
            claimed = await claim_due(session, limit=limit)
            skipped = await unavailable_hosts(session) if claimed else set()
            for item in claimed:
                if not is_domain_allowed(self.state.settings, item.host):  # type: ignore[attr-defined]
                    skipped.add(item.host)
                    await skip_unavailable(session, item, reason=BLOCKED)
                elif item.host in skipped:
                    await skip_unavailable(session, item)
        todo = [item for item in claimed if item.host not in skipped]
        if not todo:
            return []
        bodies, signers = await self._load(todo)
        return [asyncio.create_task(self._deliver_one(item, bodies, signers)) for item in todo]

    async def _deliver_one(
        self, item: ClaimedDelivery, bodies: dict[int, bytes], signers: dict[int, LocalActor | None]
    ) -> str:
        _, outcome = await self._send(item, bodies, signers)
        return await self._record(item, outcome)

    async def _record(self, item: ClaimedDelivery, outcome: DeliveryOutcome) -> str:
        """Record an outcome; outcomes that finish together share one transaction."""
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._outcomes.append((item, outcome, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._write_outcomes())
        return await done

    async def _write_outcomes(self) -> None:
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                async with transaction(self.sessions) as session:
                    states = [
                        await record_outcome(session, item, outcome) for item, outcome, _ in batch
                    ]
            except Exception as exc:
                for _, _, done in batch:
                    done.set_exception(exc)
                continue
            for (_, _, done), state in zip(batch, states, strict=True):
                done.set_result(state)

    async def _load(
        self, todo: list[ClaimedDelivery]
    ) -> tuple[dict[int, bytes], dict[int, LocalActor | None]]:
        bodies: dict[int, bytes] = {}
        signers: dict[int, LocalActor | None] = {}
        async with transaction(self.sessions) as session:
            for activity_id in {item.activity_id for item in todo}:
                activity = await session.get(OutboxActivity, activity_id)
                if activity is None:
                    continue
                bodies[activity_id] = activity.body.encode()
                signers[activity_id] = await local_actor_by_uri(
                    session, self.uris, activity.actor_uri
                )
        return bodies, signers

    async def _send(
        self, item: ClaimedDelivery, bodies: dict[int, bytes], signers: dict[int, LocalActor | None]
    ) -> tuple[ClaimedDelivery, DeliveryOutcome]:
        signer = signers.get(item.activity_id)
        body = bodies.get(item.activity_id)
        if signer is None or body is None:
            return item, DeliveryOutcome(
                status=410, retry_after=None, error="the sender no longer exists", elapsed=0.0
            )
        async with self._host_slots[item.host]:
            outcome = await post_activity(self.state.http, item.inbox, body, signer.sign)  # type: ignore[attr-defined]
        log.debug("delivered %s to %s: %s", item.activity_id, item.inbox, outcome.status)
        return item, outcome
