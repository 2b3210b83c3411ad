"""The SQLite connections of server/sqlite_driver.py: every result SQLAlchemy reads comes
back as with aiosqlite's own cursors (rows past the first page, RETURNING, row counts,
streaming, errors), in one trip to the connection's thread for a statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_engine
from server.sqlite_driver import PAGE, OneTripConnection

ROWS = PAGE * 2 + 7  # three pages, the last one short


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER)"))
        await connection.execute(
            text("INSERT INTO items (n) VALUES (:n)"), [{"n": n} for n in range(ROWS)]
        )
    yield engine
    await engine.dispose()


async def test_rows_past_the_first_page_and_counts(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        rows = (await connection.execute(text("SELECT n FROM items ORDER BY id"))).all()
        assert [n for (n,) in rows] == list(range(ROWS))
        some = await connection.execute(text("SELECT n FROM items ORDER BY id"))
        assert some.fetchmany(3) == [(0,), (1,), (2,)]
        assert some.fetchone() == (3,)
        assert len(some.fetchall()) == ROWS - 4

        changed = await connection.execute(text("UPDATE items SET n = n + 1 WHERE n < 10"))
        assert changed.rowcount == 10
        inserted = await connection.execute(
            text("INSERT INTO items (n) VALUES (:n) RETURNING id, n"), {"n": -1}
        )
        assert inserted.one() == (ROWS + 1, -1)
        gone = await connection.execute(text("DELETE FROM items WHERE n < 0"))
        assert gone.rowcount == 1


async def test_streamed_results_arrive_whole(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        streamed = await connection.stream(text("SELECT n FROM items ORDER BY id"))
        seen = [n async for (n,) in streamed]
        assert seen == list(range(ROWS))
        partitions = await connection.stream(text("SELECT n FROM items ORDER BY id"))
        sizes = [len(part) async for part in partitions.partitions(100)]
        assert sizes == [100] * (ROWS // 100) + [ROWS % 100]


async def test_an_error_is_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO items (id, n) VALUES (1, 0)"))
    async with engine.begin() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM items"))).scalar()
    assert count == ROWS


async def test_a_statement_is_one_trip_to_the_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[Any] = []
    execute = OneTripConnection._execute

    async def counted(self: OneTripConnection, function: Any, *args: Any, **kw: Any) -> Any:
        trips.append(function)
        return await execute(self, function, *args, **kw)

    async with engine.connect():
        pass  # the pool's connection is made
    monkeypatch.setattr(OneTripConnection, "_execute", counted)

    async with engine.connect() as connection:  # a read, then the connection given back
        found = (await connection.execute(text("SELECT n FROM items WHERE id = 5"))).all()
    assert found == [(4,)]
    assert len(trips) == 1  # aiosqlite's own: cursor, execute, fetch, close, rollback

    trips.clear()
    async with engine.begin() as connection:  # a write, committed
        await connection.execute(text("UPDATE items SET n = 0 WHERE id = 5"))
    assert len(trips) == 2  # the statement and the commit
