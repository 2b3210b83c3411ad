"""Outcomes of a fan-out recorded together: successes in bulk, failures scheduled for retry
(or given up) and their hosts tracked; a large fan-out reaches failing hosts last."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import col, select, update

from federation.delivery import DeliveryOutcome
from server.activitypub.publish import publish
from server.activitypub.queue import (
    FAILING_HOSTS_LATER,
    LARGE_FAN_OUT,
    claim_due,
    queue_stats,
    record_outcomes,
)
from server.db import utcnow
from server.models import Delivery, DeliveryHost

INBOXES = ["https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"]


def note(number: int) -> dict[str, Any]:
    return {
        "id": f"https://here.example/activities/{number}",
        "type": "Create",
        "actor": "https://here.example/groups/club",
        "object": f"https://here.example/notes/{number}",
    }


def outcome(
    status: int | None, retry_after: str | None = None, error: str | None = None
) -> DeliveryOutcome:
    return DeliveryOutcome(status=status, retry_after=retry_after, error=error, elapsed=0.01)


async def test_successes_and_failures_recorded_in_one_go(run_in_db: Callable[..., Any]) -> None:
    async def fan_out(session: Any) -> list[str]:
        session.add(DeliveryHost(host="a.example", failing_since=utcnow() - timedelta(hours=3)))
        await publish(session, note(1), INBOXES)
        claimed = sorted(await claim_due(session, limit=10), key=lambda item: item.inbox)
        statuses = [202, 200, 503]
        pairs = [(item, outcome(status)) for item, status in zip(claimed, statuses, strict=True)]
        return await record_outcomes(session, pairs)

    assert await run_in_db(fan_out) == ["delivered", "delivered", "pending"]

    async def read(session: Any) -> tuple[dict[str, tuple[str, int, int | None]], Any]:
        rows = (await session.exec(select(Delivery))).all()
        found = {row.host: (row.state, row.attempts, row.last_status) for row in rows}
        retry = next(row for row in rows if row.host == "c.example")
        assert retry.next_attempt_at > utcnow() and retry.leased_until is None
        return found, await queue_stats(session)

    rows, stats = await run_in_db(read)
    assert rows == {
        "a.example": ("delivered", 1, 202),
        "b.example": ("delivered", 1, 200),
        "c.example": ("pending", 1, 503),
    }
    # a.example answered again: no longer listed as failing; c.example now is.
    assert [host.host for host in stats.failing_hosts] == ["c.example"]
    assert (stats.pending, stats.delivered) == (1, 2)


#: host -> what its inbox answered (a status, a Retry-After, an error).
MIXED = {
    "ok.example": outcome(202),
    "down.example": outcome(503, "3600"),
    "slow.example": outcome(None, error="timed out"),
    "gone.example": outcome(410),
    "busy.example": outcome(429, "60"),
    "old.example": outcome(500),
}


async def test_a_mixed_batch_schedules_each_failure_and_tracks_hosts(
    run_in_db: Callable[..., Any],
) -> None:
    now = utcnow()

    async def fan_out(session: Any) -> dict[str, str]:
        session.add(DeliveryHost(host="ok.example", failing_since=now - timedelta(days=1)))
        session.add(DeliveryHost(host="old.example", failing_since=now - timedelta(days=8)))
        await publish(session, note(2), [f"https://{host}/inbox" for host in MIXED])
        await session.exec(
            update(Delivery).where(col(Delivery.host) == "old.example").values(attempts=16)
        )
        claimed = await claim_due(session, limit=10)
        pairs = [(item, MIXED[item.host]) for item in claimed]
        states = await record_outcomes(session, pairs)
        return {item.host: state for item, state in zip(claimed, states, strict=True)}

    states = await run_in_db(fan_out)
    then = utcnow()

    def within(moment: Any, after: timedelta = timedelta(0)) -> bool:
        """Whether ``moment`` is ``after`` past a time during the recording."""
        return now + after <= moment <= then + after

    assert states == {
        "ok.example": "delivered",
        "down.example": "pending",
        "slow.example": "pending",
        "gone.example": "given_up",
        "busy.example": "pending",
        "old.example": "given_up",
    }

    async def read(session: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        deliveries = (await session.exec(select(Delivery))).all()
        hosts = (await session.exec(select(DeliveryHost))).all()
        return {row.host: row for row in deliveries}, {row.host: row for row in hosts}

    deliveries, hosts = await run_in_db(read)
    found = {
        host: (row.attempts, row.last_status, row.last_error, row.leased_until)
        for host, row in deliveries.items()
    }
    assert found == {
        "ok.example": (1, 202, "", None),
        "down.example": (1, 503, "", None),
        "slow.example": (1, None, "timed out", None),
        "gone.example": (1, 410, "HTTP 410: the inbox refused the activity for good", None),
        "busy.example": (1, 429, "", None),
        "old.example": (17, 500, "still failing after 17 attempts", None),
    }
    # Retry-After postpones the next try; a timeout waits the first backoff (15 s + jitter).
    assert within(deliveries["down.example"].next_attempt_at, timedelta(hours=1))
    assert within(deliveries["busy.example"].next_attempt_at, timedelta(minutes=1))
    slow_wait = deliveries["slow.example"].next_attempt_at - now
    assert timedelta(seconds=15) <= slow_wait < timedelta(seconds=25) + (then - now)
    given_up = deliveries["old.example"]
    assert given_up.next_attempt_at == given_up.created_at  # not rescheduled
    # Hosts that did not answer, or answered 5xx, are failing; 4xx hosts answered, so are up.
    tracked = {host: (row.last_error, row.is_unavailable) for host, row in hosts.items()}
    assert tracked == {
        "ok.example": ("", False),
        "down.example": ("HTTP 503", False),
        "slow.example": ("timed out", False),
        "old.example": ("HTTP 500", True),
    }
    assert hosts["ok.example"].failing_since is None
    assert within(hosts["ok.example"].last_success_at)
    assert within(hosts["down.example"].failing_since)
    assert within(hosts["slow.example"].failing_since)
    assert hosts["old.example"].failing_since == now - timedelta(days=8)  # still the first


async def test_a_large_fan_out_reaches_failing_hosts_last(run_in_db: Callable[..., Any]) -> None:
    inboxes = [f"https://peer{n}.example/inbox" for n in range(LARGE_FAN_OUT + 1)]
    failing = inboxes[0]  # queued first: claimed first, were it not failing

    async def fan_out(session: Any) -> tuple[list[str], list[str]]:
        session.add(DeliveryHost(host="peer0.example", failing_since=utcnow()))
        await publish(session, note(3), inboxes)
        first = await claim_due(session, limit=len(inboxes))  # all that is due now
        then = await claim_due(session, limit=10, now=utcnow() + FAILING_HOSTS_LATER)
        return [item.inbox for item in first], [item.inbox for item in then]

    first, then = await run_in_db(fan_out)
    assert sorted(first) == sorted(inboxes[1:])
    assert then == [failing]


async def test_a_small_fan_out_reaches_failing_hosts_with_the_rest(
    run_in_db: Callable[..., Any],
) -> None:
    async def fan_out(session: Any) -> list[str]:
        session.add(DeliveryHost(host="a.example", failing_since=utcnow()))
        await publish(session, note(4), INBOXES)
        return [item.inbox for item in await claim_due(session, limit=len(INBOXES))]

    assert sorted(await run_in_db(fan_out)) == INBOXES


async def test_batches_that_first_see_a_host_fail_at_once_are_all_recorded(
    run_in_db: Callable[..., Any],
) -> None:
    """Workers (or rounds of one) hear nothing from a host never seen failing, at the same
    moment: each records its outcome, and the host is failing once (a race between the
    first insertions of the host, seen on PostgreSQL, failed all but one batch)."""
    for round_number in range(3):
        host = f"down{round_number}.example"

        async def fan_out(session: Any, host: str = host, base: int = 10 * round_number) -> Any:
            for number in range(4):
                await publish(session, note(100 + base + number), [f"https://{host}/inbox"])
            return await claim_due(session, limit=10)

        claimed = await run_in_db(fan_out)
        assert len(claimed) == 4

        def record(item: Any) -> Callable[[Any], Any]:
            failure = outcome(None, error="timeout")
            return lambda session: record_outcomes(session, [(item, failure)])

        recorded = await asyncio.gather(*(run_in_db(record(item)) for item in claimed))

        assert recorded == [["pending"]] * 4
        query = select(DeliveryHost).where(DeliveryHost.host == host)
        hosts = await run_in_db(lambda session, query=query: _all(session, query))
        assert [(row.host, row.last_error) for row in hosts] == [(host, "timeout")]
        assert hosts[0].failing_since is not None


async def _all(session: Any, query: Any) -> list[Any]:
    return list((await session.exec(query)).all())
