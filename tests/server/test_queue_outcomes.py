"""Outcomes of a fan-out recorded together: successes in bulk, failures scheduled for retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from federation.delivery import DeliveryOutcome
from server.activitypub.queue import claim_due, enqueue, queue_stats, record_outcomes
from server.db import utcnow
from server.models import Delivery, DeliveryHost, OutboxActivity

INBOXES = ["https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"]


def outcome(status: int | None) -> DeliveryOutcome:
    return DeliveryOutcome(status=status, retry_after=None, error=None, elapsed=0.01)


async def test_successes_and_failures_recorded_in_one_go(run_in_db: Callable[..., Any]) -> None:
    async def fan_out(session: Any) -> list[str]:
        activity = OutboxActivity(
            activity_uri="https://here.example/activities/1",
            actor_uri="https://here.example/groups/club",
            type="Create",
            body="{}",
        )
        session.add(activity)
        session.add(DeliveryHost(host="a.example", failing_since=utcnow() - timedelta(hours=3)))
        await session.flush()
        await enqueue(session, activity.id or 0, INBOXES)
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
