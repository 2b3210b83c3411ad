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
from server.db import UTCDateTime, note_inserted, utcnow
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


async def record_outcome(
    session: AsyncSession,
    claimed: ClaimedDelivery,
    outcome: DeliveryOutcome,
    *,
    now: datetime | None = None,
    rand: random.Random | None = None,
) -> str:
    """Store what happened and schedule the next try; returns the row's new state."""
    now = now or utcnow()
    delivery = await session.get(Delivery, claimed.id)
    if delivery is None:
        return "gone"
    delivery.attempts += 1
    delivery.last_status = outcome.status
    delivery.last_error = (outcome.error or "")[:500]
    delivery.leased_until = None
    delivery.updated_at = now
    if outcome.status is not None and 200 <= outcome.status < 300:
        delivery.state = DeliveryState.DELIVERED
        await _host_succeeded(session, claimed.host, now)
    else:
        decision = next_delivery_attempt(
            delivery.attempts, outcome.status, outcome.retry_after, now, rand or random.Random()
        )
        if isinstance(decision, GiveUp):
            delivery.state = DeliveryState.GIVEN_UP
            delivery.last_error = (delivery.last_error or decision.reason)[:500]
        else:
            delivery.next_attempt_at = decision
        await _host_failed(session, claimed.host, now, outcome)
    session.add(delivery)
    return delivery.state


async def record_outcomes(
    session: AsyncSession,
    outcomes: list[tuple[ClaimedDelivery, DeliveryOutcome]],
    *,
    now: datetime | None = None,
) -> list[str]:
    """Record many outcomes at once: the successes (the bulk of a fan-out) in one statement
    per status code, the failures one by one (:func:`record_outcome`); returns their states."""
    now = now or utcnow()
    by_status: dict[int, list[int]] = {}
    for claimed, outcome in outcomes:
        if outcome.is_delivered and outcome.status is not None:
            by_status.setdefault(outcome.status, []).append(claimed.id)
    for status, ids in by_status.items():
        await session.exec(
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
        await session.exec(
            update(DeliveryHost)
            .where(col(DeliveryHost.host).in_(succeeded))
            .values(failing_since=None, is_unavailable=False, last_success_at=now, last_error="")
        )
    failed = [claimed for claimed, outcome in outcomes if not outcome.is_delivered]
    loaded = await _load_rows(session, failed)  # held, so record_outcome's gets find them
    states = [
        DeliveryState.DELIVERED
        if outcome.is_delivered
        else await record_outcome(session, claimed, outcome)
        for claimed, outcome in outcomes
    ]
    del loaded
    return states


async def _load_rows(session: AsyncSession, failed: list[ClaimedDelivery]) -> list[object]:
    """The deliveries and hosts of failed attempts, in two queries instead of two each."""
    if not failed:
        return []
    ids = [claimed.id for claimed in failed]
    hosts = {claimed.host for claimed in failed}
    deliveries = (await session.exec(select(Delivery).where(col(Delivery.id).in_(ids)))).all()
    known = await session.exec(select(DeliveryHost).where(col(DeliveryHost.host).in_(hosts)))
    return [*deliveries, *known.all()]


async def _host(session: AsyncSession, host: str) -> DeliveryHost:
    row = await session.get(DeliveryHost, host)
    return row or DeliveryHost(host=host)


async def _host_succeeded(session: AsyncSession, host: str, now: datetime) -> None:
    row = await _host(session, host)
    row.failing_since = None
    row.is_unavailable = False
    row.last_success_at = now
    row.last_error = ""
    session.add(row)


async def _host_failed(
    session: AsyncSession, host: str, now: datetime, outcome: DeliveryOutcome
) -> None:
    if outcome.status is not None and 400 <= outcome.status < 500:
        return  # the host answered: it is up, it just refused this one
    row = await _host(session, host)
    row.failing_since = row.failing_since or now
    row.last_error = (outcome.error or f"HTTP {outcome.status}")[:500]
    row.is_unavailable = host_is_unavailable(row.failing_since, now)
    session.add(row)


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
