"""Group commit of inbox activities (issue #8): activities arriving together are stored in
one transaction, each caller returns only once its activity is committed, duplicates are
stored once — also when two processes (two writers) store the same activity at once."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from server.activitypub.inbox_writer import InboxWriter, Incoming
from server.activitypub.runtime import runtime_of
from server.db import transaction, utcnow
from server.models import DeliveryHost, InboxActivity


def _row(number: int) -> Incoming:
    actor = "https://peer.test/users/bob"
    return Incoming(f"{actor}/activities/{number}", actor, "Like", "{}")


async def _stored(app: Any) -> list[str]:
    async with transaction(runtime_of(app).sessions) as session:
        rows = await session.exec(select(InboxActivity.activity_uri))
        return sorted(rows.all())


async def test_concurrent_activities_share_commits_and_duplicates_are_stored_once(
    app: Any,
) -> None:
    commits: list[int] = []
    event.listen(runtime_of(app).engine.sync_engine, "commit", lambda conn: commits.append(1))
    writer = InboxWriter(runtime_of(app).sessions)
    numbers = [*range(60), *range(10)]  # ten arrive twice
    await asyncio.gather(*(writer.store(_row(n)) for n in numbers))
    assert await _stored(app) == sorted(_row(n).activity_uri for n in range(60))
    assert 1 <= len(commits) <= 5  # one batch or a few, not 70 transactions


async def test_two_writers_racing_on_one_activity_store_it_once(app: Any) -> None:
    first, second = InboxWriter(runtime_of(app).sessions), InboxWriter(runtime_of(app).sessions)
    await asyncio.gather(*(writer.store(_row(n)) for n in range(20) for writer in (first, second)))
    assert await _stored(app) == sorted(_row(n).activity_uri for n in range(20))


async def test_an_activity_from_a_host_given_up_on_makes_it_deliverable_again(app: Any) -> None:
    async with transaction(runtime_of(app).sessions) as session:
        for host in ("peer.test", "other.test"):
            session.add(DeliveryHost(host=host, is_unavailable=True, failing_since=utcnow()))
    await InboxWriter(runtime_of(app).sessions).store(_row(1))
    async with transaction(runtime_of(app).sessions) as session:
        hosts = {h.host: h.is_unavailable for h in (await session.exec(select(DeliveryHost))).all()}
    assert hosts == {"peer.test": False, "other.test": True}


async def test_a_host_is_made_deliverable_even_if_its_first_batch_did_not_commit(
    app: Any,
) -> None:
    async with transaction(runtime_of(app).sessions) as session:
        session.add(DeliveryHost(host="peer.test", is_unavailable=True, failing_since=utcnow()))
    failures = [OSError("disk I/O error")]

    def fail_once(_connection: Any) -> None:
        if failures:
            raise failures.pop()

    event.listen(runtime_of(app).engine.sync_engine, "commit", fail_once)
    # The batch marks the host available, fails at commit, and is stored again on its own.
    await InboxWriter(runtime_of(app).sessions).store(_row(1))

    assert not failures
    assert await _stored(app) == [_row(1).activity_uri]
    async with transaction(runtime_of(app).sessions) as session:
        host = (await session.exec(select(DeliveryHost))).one()
    assert not host.is_unavailable
