"""The durable delivery queue: one row per (activity, inbox), claimed with a lease.

Several workers (processes) can share the queue: a claim is one ``UPDATE … RETURNING``
over due rows whose lease has run out, with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.
A worker that dies leaves its rows leased; they become due again when the lease ends,
so every delivery survives a restart.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, insert
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.delivery import DeliveryOutcome
from federation.retry import GiveUp, host_is_unavailable, next_delivery_attempt
from server.activitypub.outcomes import Outcome
from server.db import UTCDateTime, dialect_of, insert_new, note_inserted, utcnow
from server.models import Delivery, DeliveryHost, DeliveryState, InboxActivity
from server.services.leases import claim_with_lease
from server.uris import host_of

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds the lease on."""

    id: int
    activity_id: int
    inbox: str
    host: str
    attempts: int


@dataclass(frozen=True)
class ClaimedInbox:
    """A stored inbox activity this worker holds the lease on: who sent it, and its JSON."""

    id: int
    actor: str
    body: str


#: Times a stored inbox activity whose processing failed is tried.
MAX_INBOX_ATTEMPTS = 5


ENQUEUE_CHUNK = 1000


async def enqueue(session: AsyncSession, activity_id: int, inboxes: Iterable[str]) -> int:
    """Queue the stored activity ``activity_id`` for each distinct inbox (in bulk inserts of
    ``ENQUEUE_CHUNK`` rows, so a fan-out to many inboxes stays fast and small); returns how
    many rows were added."""
    seen: set[str] = set()
    chunk: list[dict[str, object]] = []
    added = 0
    now = utcnow()
    connection = await session.connection()
    for inbox in inboxes:
        if inbox in seen:
            continue
        seen.add(inbox)
        chunk.append(_delivery_row(activity_id, inbox, now))
        if len(chunk) >= ENQUEUE_CHUNK:
            await connection.execute(insert(Delivery), chunk)
            added, chunk = added + len(chunk), []
    if chunk:
        await connection.execute(insert(Delivery), chunk)
    if seen:
        note_inserted(session, Delivery)
    return added + len(chunk)


#: A fan-out to more inboxes than this (a claim's worth: the worker's ``BATCH``) sends to
#: hosts that are failing last (:func:`put_failing_hosts_last`).
LARGE_FAN_OUT = 128
#: How much later than the rest of a large fan-out its deliveries to failing hosts are due:
#: the first retry's wait (``federation.retry``), by when the healthy hosts have theirs.
FAILING_HOSTS_LATER = timedelta(seconds=15)
_LATER = (
    update(Delivery)
    .where(
        col(Delivery.activity_id) == bindparam("activity"),
        col(Delivery.state) == DeliveryState.PENDING,
        col(Delivery.host).in_(
            select(DeliveryHost.host).where(col(DeliveryHost.failing_since).is_not(None))
        ),
    )
    .values(next_attempt_at=bindparam("later", type_=UTCDateTime()))
)


async def put_failing_hosts_last(session: AsyncSession, activity_id: int, queued: int) -> None:
    """After ``queued`` deliveries of ``activity_id`` were queued: if they are more than
    ``LARGE_FAN_OUT``, make those to hosts that are failing due ``FAILING_HOSTS_LATER``
    (one ``UPDATE``). Sending to a dead host costs as much as to a live one (signing,
    connecting), so a large fan-out reaches the healthy hosts first; the dead ones would
    wait that long for their retry anyway. A small fan-out is not worth the statement."""
    if queued <= LARGE_FAN_OUT:
        return
    values = {"activity": activity_id, "later": utcnow() + FAILING_HOSTS_LATER}
    await (await session.connection()).execute(_LATER, values)


def _delivery_row(activity_id: int, inbox: str, now: datetime) -> dict[str, object]:
    return {
        "activity_id": activity_id,
        "inbox": inbox,
        "host": host_of(inbox),
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }


_CLAIM_SQL = """
UPDATE deliveries SET leased_until = :until, updated_at = :now
WHERE id IN (
    SELECT id FROM deliveries
    WHERE state = 'pending' AND next_attempt_at <= :now
      AND (leased_until IS NULL OR leased_until < :now)
    ORDER BY next_attempt_at, id
    LIMIT :limit {lock}
)
RETURNING id, activity_id, inbox, host, attempts
"""


_CLAIM_INBOX_SQL = """
UPDATE inbox_activities SET leased_until = :until
WHERE id IN (
    SELECT id FROM inbox_activities
    WHERE processed_at IS NULL AND attempts < :attempts
      AND (leased_until IS NULL OR leased_until < :now)
    ORDER BY id
    LIMIT :limit {lock}
)
RETURNING id, actor_uri, body
"""


async def claim_due(
    session: AsyncSession, *, limit: int, now: datetime | None = None, lease: timedelta = LEASE
) -> list[ClaimedDelivery]:
    """Lease up to ``limit`` due deliveries for this worker (commit to make the lease stick)."""
    rows = await claim_with_lease(session, _CLAIM_SQL, now, lease, limit=limit)
    return [ClaimedDelivery(*row) for row in rows]  # type: ignore[arg-type]


async def claim_inbox(
    session: AsyncSession,
    *,
    limit: int,
    max_attempts: int,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> list[ClaimedInbox]:
    """Lease up to ``limit`` stored inbox activities to process, oldest first."""
    rows = await claim_with_lease(
        session, _CLAIM_INBOX_SQL, now, lease, limit=limit, attempts=max_attempts
    )
    claimed = [ClaimedInbox(int(row[0]), str(row[1]), str(row[2])) for row in rows]  # type: ignore[call-overload]
    return sorted(claimed, key=lambda item: item.id)  # RETURNING promises no order


# Built once, with parameters (see follows.py).
_ATTEMPTS = col(InboxActivity.attempts) + 1
_NOW = bindparam("now", type_=UTCDateTime())
_RECORD = (
    update(InboxActivity)
    .where(col(InboxActivity.id) == bindparam("row_id"))
    .values(attempts=_ATTEMPTS, result=bindparam("outcome"), leased_until=None)
)
_RECORD_DONE = _RECORD.values(processed_at=_NOW)
_RECORD_RETRIED = _RECORD.values(
    processed_at=case((_ATTEMPTS >= MAX_INBOX_ATTEMPTS, _NOW), else_=InboxActivity.processed_at)
)


async def record_inbox_outcome(session: AsyncSession, row_id: int, outcome: Outcome) -> None:
    """Record what processing a stored activity came to, in one ``UPDATE`` by id: done, or
    due again (until ``MAX_INBOX_ATTEMPTS`` tries are spent) if the outcome is retried."""
    statement = _RECORD_RETRIED if outcome.retried else _RECORD_DONE
    values = {"row_id": row_id, "outcome": outcome.text[:500], "now": utcnow()}
    await (await session.connection()).execute(statement, values)


async def record_outcomes(
    session: AsyncSession,
    outcomes: list[tuple[ClaimedDelivery, DeliveryOutcome]],
    *,
    now: datetime | None = None,
    rand: random.Random | None = None,
) -> list[str]:
    """Record the outcomes of many attempts, in bulk: the successes (the bulk of a fan-out) in
    one statement per status code, the failures each scheduled for its next try (or given up)
    in one statement, and their hosts in at most three; returns the rows' new states
    (``"gone"`` for a row deleted meanwhile)."""
    now = now or utcnow()
    await _record_successes(session, outcomes, now)
    failures = [(claimed, outcome) for claimed, outcome in outcomes if not outcome.is_delivered]
    states = await _record_failures(session, failures, now, rand or random.Random())
    await _hosts_failed(session, failures, now)
    return [
        DeliveryState.DELIVERED if outcome.is_delivered else states[claimed.id]
        for claimed, outcome in outcomes
    ]


async def _record_successes(
    session: AsyncSession, outcomes: list[tuple[ClaimedDelivery, DeliveryOutcome]], now: datetime
) -> None:
    """Mark the delivered rows, one ``UPDATE`` per status code, and their hosts as up."""
    by_status: dict[int, list[int]] = {}
    for claimed, outcome in outcomes:
        if outcome.is_delivered and outcome.status is not None:
            by_status.setdefault(outcome.status, []).append(claimed.id)
    connection = await session.connection()  # no ORM rows to keep in step: Core statements
    for status, ids in by_status.items():
        await connection.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(ids))
            .values(
                state=DeliveryState.DELIVERED,
                attempts=Delivery.attempts + 1,
                last_status=status,
                last_error="",
                leased_until=None,
                updated_at=now,
            )
        )
    succeeded = {claimed.host for claimed, outcome in outcomes if outcome.is_delivered}
    if succeeded:
        await connection.execute(
            update(DeliveryHost)
            .where(col(DeliveryHost.host).in_(succeeded))
            .values(failing_since=None, is_unavailable=False, last_success_at=now, last_error="")
        )


#: One failed row by id; the executed parameters name the columns to set (``executemany``).
_FAILED = update(Delivery).where(col(Delivery.id) == bindparam("row_id"))
_HOST = update(DeliveryHost).where(col(DeliveryHost.host) == bindparam("row_host"))


async def _record_failures(
    session: AsyncSession,
    failures: list[tuple[ClaimedDelivery, DeliveryOutcome]],
    now: datetime,
    rand: random.Random,
) -> dict[int, str]:
    """Schedule each failed row's next try or give it up (``federation.retry``): one query
    reads the rows, one ``UPDATE`` (executed many) writes them; returns their states."""
    if not failures:
        return {}
    query = select(Delivery.id, Delivery.attempts, Delivery.state, Delivery.next_attempt_at).where(
        col(Delivery.id).in_([claimed.id for claimed, _ in failures])
    )
    rows = {row[0]: row[1:] for row in (await session.exec(query)).all()}
    changes = {
        claimed.id: _failed_row(*rows[claimed.id], outcome, now, rand)
        for claimed, outcome in failures
        if claimed.id in rows
    }
    if changes:
        values = [{"row_id": row_id, **change} for row_id, change in changes.items()]
        await (await session.connection()).execute(_FAILED, values)
    states = {claimed.id: "gone" for claimed, _ in failures}  # unless still there
    return states | {row_id: str(change["state"]) for row_id, change in changes.items()}


def _failed_row(
    attempts: int,
    state: str,
    next_attempt_at: datetime,
    outcome: DeliveryOutcome,
    now: datetime,
    rand: random.Random,
) -> dict[str, object]:
    """The new columns of a row that had ``attempts`` attempts before this failed one."""
    attempts += 1
    error = (outcome.error or "")[:500]
    decision = next_delivery_attempt(attempts, outcome.status, outcome.retry_after, now, rand)
    if isinstance(decision, GiveUp):
        state, error = DeliveryState.GIVEN_UP, (error or decision.reason)[:500]
    else:
        next_attempt_at = decision
    return {
        "state": state,
        "attempts": attempts,
        "next_attempt_at": next_attempt_at,
        "last_status": outcome.status,
        "last_error": error,
        "leased_until": None,
        "updated_at": now,
    }


async def _hosts_failed(
    session: AsyncSession, failures: list[tuple[ClaimedDelivery, DeliveryOutcome]], now: datetime
) -> None:
    """Note the hosts that did not answer, or answered 5xx, as failing (since the first such
    failure without a success since); a 4xx answer means the host is up."""
    errors: dict[str, str] = {}
    for claimed, outcome in failures:
        if outcome.status is None or not 400 <= outcome.status < 500:
            errors[claimed.host] = (outcome.error or f"HTTP {outcome.status}")[:500]
    if not errors:
        return
    query = select(DeliveryHost.host, DeliveryHost.failing_since).where(
        col(DeliveryHost.host).in_(errors)
    )
    known = dict((await session.exec(query)).all())

    def columns(host: str) -> dict[str, object]:
        failing_since = known.get(host) or now  # kept while the host has not answered since
        unavailable = host_is_unavailable(failing_since, now)
        return {
            "failing_since": failing_since,
            "last_error": errors[host],
            "is_unavailable": unavailable,
        }

    connection = await session.connection()
    if seen := [{"row_host": host, **columns(host)} for host in errors if host in known]:
        await connection.execute(_HOST, seen)
    if new := [{"host": host, **columns(host)} for host in errors if host not in known]:
        # Another batch may be recording the same host's first failure: it says the same.
        await connection.execute(insert_new(dialect_of(session), DeliveryHost, keys=("host",)), new)


async def mark_hosts_available(session: AsyncSession, hosts: set[str]) -> None:
    """Hosts we had given up on have spoken to us again: deliver to them again."""
    if hosts:
        await session.exec(
            update(DeliveryHost)
            .where(col(DeliveryHost.host).in_(hosts), col(DeliveryHost.is_unavailable))
            .values(is_unavailable=False, failing_since=None)
        )


async def unavailable_hosts(session: AsyncSession) -> set[str]:
    """Hosts that have failed for days; deliveries to them are skipped."""
    rows = await session.exec(select(DeliveryHost.host).where(col(DeliveryHost.is_unavailable)))
    return set(rows.all())


async def skip_unavailable(
    session: AsyncSession,
    claimed: ClaimedDelivery,
    now: datetime | None = None,
    reason: str = "host unavailable",
) -> None:
    """Give up a delivery to an unavailable (or blocked) host without trying it."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == claimed.id)
        .values(
            state=DeliveryState.GIVEN_UP,
            last_error=reason,
            leased_until=None,
            updated_at=now or utcnow(),
        )
    )


@dataclass(frozen=True)
class QueueStats:
    """What the admin page shows about the queue."""

    pending: int
    delivered: int
    given_up: int
    failing_hosts: list[DeliveryHost]


async def queue_stats(session: AsyncSession) -> QueueStats:
    """Queue depth by state and the hosts that are failing."""
    counts = dict(
        (await session.exec(select(Delivery.state, func.count()).group_by(Delivery.state))).all()
    )
    hosts = await session.exec(
        select(DeliveryHost)
        .where(col(DeliveryHost.failing_since).is_not(None))
        .order_by(col(DeliveryHost.failing_since))
    )
    return QueueStats(
        pending=counts.get(DeliveryState.PENDING, 0),
        delivered=counts.get(DeliveryState.DELIVERED, 0),
        given_up=counts.get(DeliveryState.GIVEN_UP, 0),
        failing_hosts=list(hosts.all()),
    )
