"""Periodic jobs on PostgreSQL run in one worker process per instance at a time; instances
that share a database in separate schemas (as the test suite's parallel workers do) do not
make each other skip them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.activitypub.worker import job_lock
from server.db import create_engine, session_factory, transaction
from tests.databases import POSTGRES_URL, DatabaseFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: SQLite takes no job lock"),
]


@pytest.fixture
async def two_instances(
    database_factory: DatabaseFactory,
) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    engines: list[AsyncEngine] = []
    for _ in range(2):
        database = await database_factory.new()
        engines.append(create_engine(database.url, database.schema))
    yield [session_factory(engine) for engine in engines]
    for engine in engines:
        await engine.dispose()
    await database_factory.drop_all()


async def test_a_held_job_lock_stops_the_same_instance_only(
    two_instances: list[async_sessionmaker[AsyncSession]],
) -> None:
    first, second = two_instances
    async with transaction(first) as holder:
        assert await job_lock(holder, "meetup reminders")
        async with transaction(first) as same_instance:
            assert not await job_lock(same_instance, "meetup reminders")
            assert await job_lock(same_instance, "queued email")
        async with transaction(second) as other_instance:
            assert await job_lock(other_instance, "meetup reminders")
    async with transaction(first) as after_commit:
        assert await job_lock(after_commit, "meetup reminders")
