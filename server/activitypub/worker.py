"""The background worker: processes stored inbox activities and delivers queued activities.

``run_forever()`` loops inside ``hearth serve`` or alone as ``hearth worker``; ``run_once()``
runs the same rounds and waits for what they start, so tests drive the production code
deterministically (``FederationNet.drain()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.delivery import DeliveryOutcome, post_activity
from server.activitypub.leases import LeaseKeeper
from server.activitypub.meetup_publishing import publish_due_occurrences
from server.activitypub.meetup_publishing import send_changed_counts as send_event_counts
from server.activitypub.processing import InboxProcessor
from server.activitypub.proposal_poll import send_changed_counts
from server.activitypub.queue import (
    MAX_INBOX_ATTEMPTS,
    ClaimedDelivery,
    ClaimedInbox,
    claim_due,
    claim_inbox,
    record_outcomes,
    skip_unavailable,
    unavailable_hosts,
)
from server.activitypub.senders import Sender, Senders
from server.db import transaction
from server.models import Delivery, DeliveryState, InboxActivity, OutboxActivity, OutgoingEmail
from server.services import email_queue, reminders, rotation
from server.services.calendar_poll import poll_due
from server.services.series import extend_series
from server.services.tally import close_due_proposals
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 128
INBOX_BATCH = 64
#: Stored inbox activities processed at once (from different senders; one sender's in order):
#: while one waits on the database or a remote fetch, the others go on.
INBOX_AT_ONCE = 8
PER_HOST = 4
IDLE_SECONDS = 2.0
MAX_IN_FLIGHT = 256
REFILL_AT = BATCH
SLOW_AFTER_SECONDS = 2.0
MAX_SLOW = 1024
ANNOUNCE_EVERY_SECONDS = 60.0
#: How often the worker looks for subscribed calendars due for a read.
CALENDAR_EVERY_SECONDS = 30.0
#: While deliveries are under way, the inbox table is looked at no more often than this,
#: unless an inbox POST to this process (``wake()``) says there is something new: each look
#: is a transaction, and rounds spent looking leave the delivery slots empty.
INBOX_POLL_SECONDS = 0.5
#: While the inbox is being processed, deliveries are claimed at most this often (each
#: processed Follow may have queued an Accept; each claim is a transaction).
DELIVERY_NUDGE_SECONDS = 0.1
BLOCKED = "domain blocked by this instance's federation policy"
LEASE_LOST = "lease lost"
#: Rows that give the worker something to do: a commit that adds any wakes it.
WORK_ROWS: tuple[type, ...] = (InboxActivity, OutboxActivity, Delivery, OutgoingEmail)
#: The worker whose ``run_forever`` the current task belongs to (its own commits need no wake).
_running: ContextVar[Worker | None] = ContextVar("hearth_running_worker", default=None)
#: ``run_once`` runs rounds while they process inbox activities (each may queue deliveries,
#: an Accept, that ``run_forever`` claims in the round the processing wakes), at most this many.
MAX_ROUNDS_AT_ONCE = 8


#: A periodic job: called with a session (one transaction) and the worker's ``LocalUris``,
#: returns how many things it did.
PeriodicJob = Callable[[AsyncSession, LocalUris], Awaitable[int]]


@dataclass
class Periodic:
    """A job the worker runs every ``every_seconds`` (and on ``run_periodic(force=True)``)."""

    name: str
    every_seconds: float
    job: PeriodicJob | None = None
    #: Instead of ``job``: a job that opens its own transactions (it waits on the network).
    alone: Callable[[], Awaitable[int]] | None = None
    last_run: float = field(default=-1e9)


def periodic_jobs() -> list[Periodic]:
    """Every periodic job of the worker, in the order they run."""
    return [
        Periodic("announce due meetups", ANNOUNCE_EVERY_SECONDS, _announce_due_meetups),
        Periodic("close due proposals", 60.0, close_due_proposals),
        Periodic("proposal counts", 10.0, send_changed_counts),
        Periodic("meetup counts", 10.0, send_event_counts),
        Periodic("meetup reminders", reminders.EVERY_SECONDS, reminders.send_due_reminders),
        Periodic("role reminders", reminders.EVERY_SECONDS, rotation.remind_holders),
        Periodic("your turn for open roles", 600.0, rotation.ask_due),
        Periodic("queued email", email_queue.EVERY_SECONDS, email_queue.send_queued_email),
    ]


async def _announce_due_meetups(session: AsyncSession, uris: LocalUris) -> int:
    await extend_series(session)
    return await publish_due_occurrences(session, uris)


async def job_lock(session: AsyncSession, name: str) -> bool:
    """Whether this process may run the job now: on PostgreSQL one worker process per
    instance at a time (a transaction-scoped advisory lock keyed by the job and the
    instance's schema, so instances sharing a database in separate schemas do not skip each
    other's jobs); SQLite serializes writers by itself."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return True
    key = zlib.crc32(f"hearth periodic {name}".encode()) - 2**31
    query = text("SELECT pg_try_advisory_xact_lock(hashtext(current_schema()), :key)")
    return bool((await session.exec(query.bindparams(key=key))).scalar())  # type: ignore[call-overload]


@dataclass
class Started:
    """What a round set going: an inbox batch in a task of its own, and deliveries."""

    inbox: asyncio.Task[int] | None = None
    deliveries: list[asyncio.Task[str]] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return self.inbox is not None or bool(self.deliveries)


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

    def __init__(self, runtime: Runtime, *, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.runtime = runtime
        self.set_concurrency(max_in_flight)
        self.lease = timedelta(seconds=runtime.settings.federation.lease_seconds)
        self.sessions = runtime.sessions
        #: Renews the leases of what this worker holds; no row is started on a doubtful one.
        self.leases = LeaseKeeper(self.sessions, self.lease)
        self.uris = LocalUris(runtime.settings)
        self.processor = InboxProcessor(runtime)
        self.senders = Senders(self.sessions, self.uris)
        self._wake = asyncio.Event()
        self._inbox_hint = True
        self._inbox_polled_at = -1e9
        self.periodic = periodic_jobs()
        self.periodic.append(
            Periodic("calendar imports", CALENDAR_EVERY_SECONDS, alone=self._poll_calendars)
        )
        self._in_flight: set[asyncio.Task[str]] = set()
        #: Inbox processing under ``run_forever``: a task of its own, so deliveries (the
        #: Accepts of a burst of Follows among them) are started while it runs.
        self._inbox_task: asyncio.Task[int] | None = None
        self._nudged_at = -1e9
        #: Deliveries waiting on a slow or dead host for over ``SLOW_AFTER_SECONDS``: they no
        #: longer take a slot, so a few dead peers cannot starve the healthy ones.
        self._slow: set[asyncio.Task[str]] = set()
        self._outcomes: list[tuple[ClaimedDelivery, DeliveryOutcome, asyncio.Future[str]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(PER_HOST)
        )

    def set_concurrency(self, max_in_flight: int) -> None:
        """How many deliveries may be under way at once (``hearth worker --concurrency``)."""
        self.max_in_flight = max(1, max_in_flight)
        #: Claim more deliveries once this many slots are free.
        self.refill_at = min(REFILL_AT, self.max_in_flight)

    def wake(self) -> None:
        """Start the next round now (new work arrived)."""
        self._inbox_hint = True
        self._wake.set()

    def wake_after_commit(self) -> None:
        """A commit added work (``server.db.call_after_commits``): wake, unless the commit is
        the worker's own: it claims in the same round what its periodic jobs queued, and
        nudges deliveries itself, at most every ``DELIVERY_NUDGE_SECONDS``, while it
        processes the inbox."""
        if _running.get() is not self:
            self.wake()

    async def run_once(self) -> RoundReport:
        """Run rounds as ``run_forever`` does and wait for what they start (the inbox batch,
        the deliveries), while they process activities; report what they did."""
        processed = delivered = failed = 0
        running = _running.set(self)
        try:
            for _ in range(MAX_ROUNDS_AT_ONCE):
                started = await self._round()
                batch = await started.inbox if started.inbox is not None else 0
                states = await asyncio.gather(*started.deliveries)
                processed += batch
                delivered += states.count(DeliveryState.DELIVERED)
                failed += len(states) - states.count(DeliveryState.DELIVERED)
                if not batch:
                    break
        finally:
            _running.reset(running)
        return RoundReport(processed, delivered, failed)

    async def run_forever(self) -> None:
        """Loop until cancelled. Deliveries run as background tasks (at most ``max_in_flight``),
        so a slow inbox never holds up the others; the loop sleeps when there is nothing to do."""
        running = _running.set(self)  # this task's context, and every task it starts
        try:
            while True:
                try:
                    busy = (await self._round()).busy
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("worker round failed")
                    busy = False
                if not busy:
                    await self._idle()
        finally:
            await self._stop_background_tasks()
            _running.reset(running)

    async def _stop_background_tasks(self) -> None:
        """Cancel deliveries under way and wait for them, so none still holds a database
        connection when the engine is disposed (their leases make them due again)."""
        tasks: list[asyncio.Task[Any]] = [*self._in_flight, *self._slow]
        tasks += [t for t in (self._recorder, self._inbox_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.leases.stop()

    async def _round(self) -> Started:
        """Start processing the inbox (when due), run the due periodic jobs, and start as many
        deliveries as there are free slots; return without waiting for them."""
        await self.runtime.policy.refresh()
        inbox = self._start_inbox() if self._inbox_due() else None
        await self.run_periodic()
        room = self.max_in_flight - len(self._in_flight)
        # Claim in batches: topping up one delivery at a time would cost a claim per send.
        refill = room >= self.refill_at or not self._in_flight
        started = await self._start_deliveries(limit=min(room, BATCH)) if refill else []
        loop = asyncio.get_running_loop()
        for task in started:
            self._in_flight.add(task)
            task.add_done_callback(self._delivery_done)
            loop.call_later(SLOW_AFTER_SECONDS, self._set_aside, task)
        return Started(inbox, started)

    def _start_inbox(self) -> asyncio.Task[int] | None:
        """Process the inbox in a task of its own unless one is at it: a slow activity (a
        remote fetch) or a burst of new followers never holds up the deliveries."""
        if self._inbox_task is not None and not self._inbox_task.done():
            return None
        self._inbox_task = asyncio.create_task(self._process_inbox())
        self._inbox_task.add_done_callback(self._inbox_done)
        return self._inbox_task

    def _inbox_done(self, task: asyncio.Task[int]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("inbox processing failed", exc_info=task.exception())
        elif not task.cancelled() and (task.result() or self._inbox_hint):
            self._wake.set()  # a full batch may have left more behind, or more arrived

    def _nudge_deliveries(self) -> None:
        """An inbox activity was processed (it may have queued an Accept): start a round,
        which claims deliveries, at most every ``DELIVERY_NUDGE_SECONDS``."""
        now = time.monotonic()
        if now - self._nudged_at >= DELIVERY_NUDGE_SECONDS:
            self._nudged_at = now
            self._wake.set()

    def _delivery_done(self, task: asyncio.Task[str]) -> None:
        self._slow.discard(task)
        if task in self._in_flight:
            self._in_flight.discard(task)
            self._after_slot_freed()

    def _set_aside(self, task: asyncio.Task[str]) -> None:
        """A delivery still waiting after SLOW_AFTER_SECONDS gives its slot back."""
        if task in self._in_flight and len(self._slow) < MAX_SLOW:
            self._in_flight.discard(task)
            self._slow.add(task)
            self._after_slot_freed()

    def _after_slot_freed(self) -> None:
        if self.max_in_flight - len(self._in_flight) == self.refill_at or not self._in_flight:
            self._wake.set()

    async def _idle(self) -> None:
        """Wait for new work, room for another batch of deliveries, or IDLE_SECONDS."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=IDLE_SECONDS)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # On Python 3.11 wait_for swallows a cancellation that lands as the event is set:
            # the cancelled worker would idle on for ever.
            raise asyncio.CancelledError

    async def run_periodic(self, *, force: bool = False) -> dict[str, int]:
        """Run the periodic jobs that are due (all of them with ``force``); each in its own
        transaction, so one failing job neither undoes nor stops the others."""
        done: dict[str, int] = {}
        for periodic in self.periodic:
            now = time.monotonic()
            if not force and now - periodic.last_run < periodic.every_seconds:
                continue
            periodic.last_run = now
            try:
                if periodic.alone is not None:
                    done[periodic.name] = await periodic.alone()
                    continue
                async with transaction(self.sessions) as session:
                    if periodic.job and await job_lock(session, periodic.name):
                        done[periodic.name] = await periodic.job(session, self.uris)
            except Exception:
                log.exception("periodic job %r failed", periodic.name)
        if any(done.values()):
            self.runtime.read_cache.clear()
        return done

    async def announce_due_meetups(self, *, force: bool = False) -> int:
        """Federate series occurrences now within their announcement window (once a minute)."""
        done = await self.run_periodic(force=force)
        return done.get("announce due meetups", 0)

    async def _poll_calendars(self) -> int:
        """Read the subscribed calendars that are due (``server.services.calendar_poll``)."""
        settings = self.runtime.settings
        http = self.runtime.http
        return await poll_due(self.sessions, http, self.uris, settings.calendar_imports)

    def _inbox_due(self) -> bool:
        """Whether this round looks at the inbox table (see INBOX_POLL_SECONDS)."""
        if self._inbox_task is not None and not self._inbox_task.done():
            return False  # the running task takes the hint when it finishes its batch
        if self._inbox_hint or not self._in_flight:
            return True
        return time.monotonic() - self._inbox_polled_at >= INBOX_POLL_SECONDS

    async def _process_inbox(self) -> int:
        """Process a batch of stored activities, up to ``INBOX_AT_ONCE`` senders at once and
        each sender's activities in the order they came (an Undo after its Follow), waking
        the delivery side as they are processed."""
        self._inbox_hint, self._inbox_polled_at = False, time.monotonic()
        since = time.monotonic()
        async with transaction(self.sessions) as session:
            claimed = await claim_inbox(
                session, limit=INBOX_BATCH, max_attempts=MAX_INBOX_ATTEMPTS, lease=self.lease
            )
        self.leases.claimed(self.leases.inbox, (item.id for item in claimed), since)
        by_sender: defaultdict[str, list[ClaimedInbox]] = defaultdict(list)
        for item in claimed:
            by_sender[item.actor].append(item)
        slots = asyncio.Semaphore(INBOX_AT_ONCE)
        results = await asyncio.gather(
            *(self._process_in_order(items, slots) for items in by_sender.values()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, Exception):
                log.error("inbox processing failed", exc_info=result)
        if claimed:
            self._inbox_hint = True  # a full batch may have left more behind
            self.runtime.read_cache.clear()
        return len(claimed)

    async def _process_in_order(self, items: list[ClaimedInbox], slots: asyncio.Semaphore) -> None:
        """Process one sender's activities one after the other, in a slot of the batch."""
        async with slots:
            for index, item in enumerate(items):
                try:
                    if self.leases.safe(self.leases.inbox, item.id):
                        await self.processor.process(item)
                except BaseException:
                    for left in items[index:]:  # their leases run out: processed again later
                        self.leases.release(self.leases.inbox, left.id)
                    raise
                self.leases.release(self.leases.inbox, item.id)
                self._nudge_deliveries()

    async def _start_deliveries(self, *, limit: int) -> list[asyncio.Task[str]]:
        """Claim due deliveries and start one task each; each task records its own outcome."""
        since = time.monotonic()
        async with transaction(self.sessions) as session:
            claimed = await claim_due(session, limit=limit, lease=self.lease)
            skipped = await unavailable_hosts(session) if claimed else set()
            for item in claimed:
                if not self.runtime.policy.allows(item.host):
                    skipped.add(item.host)
                    await skip_unavailable(session, item, reason=BLOCKED)
                elif item.host in skipped:
                    await skip_unavailable(session, item)
        todo = [item for item in claimed if item.host not in skipped]
        if not todo:
            return []
        self.leases.claimed(self.leases.deliveries, (item.id for item in todo), since)
        senders = await self.senders.get(item.activity_id for item in todo)
        return [asyncio.create_task(self._deliver_one(item, senders)) for item in todo]

    async def _deliver_one(self, item: ClaimedDelivery, senders: dict[int, Sender]) -> str:
        try:
            outcome = await self._send(item, senders.get(item.activity_id))
            if outcome is None:
                return LEASE_LOST
            return await self._record(item, outcome)
        finally:
            self.leases.release(self.leases.deliveries, item.id)

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
                    states = await record_outcomes(
                        session, [(item, outcome) for item, outcome, _ in batch]
                    )
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():  # its delivery task may have been cancelled
                        done.set_exception(exc)
                continue
            for (_, _, done), state in zip(batch, states, strict=True):
                if not done.done():
                    done.set_result(state)

    async def _send(self, item: ClaimedDelivery, sender: Sender) -> DeliveryOutcome | None:
        """POST one delivery once a slot of its host is free; None, sending nothing, when
        its lease can no longer be vouched for (another claim may have it: it is not ours
        to send, and it stays queued)."""
        if sender is None:
            return DeliveryOutcome(
                status=410, retry_after=None, error="the sender no longer exists", elapsed=0.0
            )
        body, signer = sender
        poster = self.runtime.poster or self.runtime.http
        async with self._host_slots[item.host]:
            if not self.leases.safe(self.leases.deliveries, item.id):
                log.warning("delivery %s to %s left alone: its lease ran out", item.id, item.host)
                return None
            outcome = await post_activity(poster, item.inbox, body, signer.sign)
        log.debug("delivered %s to %s: %s", item.activity_id, item.inbox, outcome.status)
        return outcome
