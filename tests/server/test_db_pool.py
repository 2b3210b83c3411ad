"""PostgreSQL connections in the pool: one closed by the server while idle is replaced
before use; one used moments ago is not pinged (a round trip per transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server import db
from tests.databases import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="PostgreSQL only: an SQLite file has no server connection to lose"
    ),
]


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(POSTGRES_URL)
    yield engine
    await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pid: int) -> None:
    admin = db.create_engine(POSTGRES_URL)
    async with admin.begin() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await admin.dispose()


def _count_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pings: list[object] = []
    dialect = engine.sync_engine.dialect
    original = dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(connection)
        return original(connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def test_a_connection_closed_while_idle_is_replaced(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # every pooled connection counts as idle
    first = await _backend_pid(engine)
    await _terminate(first)  # as a restart or a proxy's idle timeout would

    second = await _backend_pid(engine)

    assert second != first


async def test_a_connection_used_moments_ago_is_not_pinged(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(engine, monkeypatch)
    first = await _backend_pid(engine)
    for _ in range(5):
        assert await _backend_pid(engine) == first
    assert pings == []

    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    assert await _backend_pid(engine) == first
    assert len(pings) == 1
