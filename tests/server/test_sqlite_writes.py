"""SQLite writers of one process take turns in order (server/sqlite_writes.py) instead of
sleeping in SQLite's busy handler; a failed or abandoned write lets the next one in, and one
that waits too long gets SQLite's own "database is locked"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.db import create_engine
from server.sqlite_driver import one_trip_connector
from server.sqlite_writes import SqliteWriteLock


def _engine_taking_turns_on(lock: SqliteWriteLock, path: Path) -> AsyncEngine:
    connect = one_trip_connector(str(path), lock, check_same_thread=False)
    return create_async_engine(f"sqlite+aiosqlite:///{path}", async_creator=connect)


async def _with_table(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE written (n INTEGER, seq INTEGER PRIMARY KEY)"))
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await _with_table(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"))
    yield engine
    await engine.dispose()


async def _write(engine: AsyncEngine, n: int, hold: float) -> None:
    """Insert ``n``, then keep the transaction open ``hold`` seconds before committing."""
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO written (n) VALUES (:n)"), {"n": n})
        await asyncio.sleep(hold)


async def _order(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT n FROM written ORDER BY seq"))
        return [n for (n,) in rows]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached within 5 s")


async def test_writers_commit_in_the_order_they_asked(tmp_path: Path) -> None:
    lock = SqliteWriteLock(timeout=30)
    engine = await _with_table(_engine_taking_turns_on(lock, tmp_path / "w.db"))
    go = asyncio.Event()

    async def first() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO written (n) VALUES (0)"))
            await go.wait()

    try:
        writers = [asyncio.create_task(first())]
        await _until(lock.taken)
        for n in range(1, 8):  # each asks to write once the one before it waits
            writers.append(asyncio.create_task(_write(engine, n, hold=0)))
            await _until(lambda n=n: lock.waiting() == n)  # type: ignore[misc]
        go.set()
        await asyncio.gather(*writers)

        # SQLite's busy handler lets in whichever waiter wakes first (the latest comer
        # sleeps the shortest): here each writer waits for those before it, none refused.
        assert await _order(engine) == list(range(8))
    finally:
        await engine.dispose()


async def test_reads_do_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    await _write(engine, 1, hold=0)
    writing = asyncio.create_task(_write(engine, 2, hold=2.0))
    await asyncio.sleep(0.2)

    assert await asyncio.wait_for(_order(engine), timeout=1.5) == [1]  # WAL: the last commit
    await writing
    assert await _order(engine) == [1, 2]


async def test_a_failed_write_lets_the_next_writer_in(engine: AsyncEngine) -> None:
    class Broken(Exception):
        pass

    with pytest.raises(Broken):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO written (n) VALUES (1)"))
            raise Broken
    abandoned = await engine.connect()  # a write left open, then given back unfinished
    await abandoned.execute(text("INSERT INTO written (n) VALUES (2)"))
    await abandoned.close()

    await asyncio.wait_for(_write(engine, 3, hold=0), timeout=2)
    assert await _order(engine) == [3]


async def test_a_writer_that_waits_too_long_is_told_the_database_is_locked(
    tmp_path: Path,
) -> None:
    engine = await _with_table(_engine_taking_turns_on(SqliteWriteLock(0.2), tmp_path / "w.db"))
    try:
        holding = asyncio.create_task(_write(engine, 1, hold=1.0))
        await asyncio.sleep(0.05)
        with pytest.raises(OperationalError, match="database is locked"):
            await _write(engine, 2, hold=0)
        await holding
        await _write(engine, 3, hold=0)  # the lock was not left taken by the refused writer
        assert await _order(engine) == [1, 3]
    finally:
        await engine.dispose()


async def test_a_connection_stopped_from_another_thread_gives_its_turn_up(
    tmp_path: Path,
) -> None:
    engine = await _with_table(_engine_taking_turns_on(SqliteWriteLock(5), tmp_path / "w.db"))
    try:
        writing = await engine.connect()
        await writing.execute(text("INSERT INTO written (n) VALUES (1)"))  # holds the turn
        driver_connection = (await writing.get_raw_connection()).driver_connection
        await asyncio.to_thread(driver_connection.stop)  # as SQLAlchemy's terminate may

        await asyncio.wait_for(_write(engine, 2, hold=0), timeout=4)
        assert await _order(engine) == [2]  # the stopped connection's write was undone
        await writing.invalidate()
    finally:
        await engine.dispose()
