"""aiosqlite connections whose statements cost one trip to the connection's thread.

aiosqlite runs each call of a ``sqlite3`` connection in the connection's own thread, one
trip per call; SQLAlchemy's adapter makes four for a statement (make a cursor, execute,
fetch, close it), and each trip costs the event loop about as much CPU as the statement
itself. The cursor here does the four in one: it executes, fetches the first
:data:`PAGE` rows and, when no row is left, closes the ``sqlite3`` cursor in the same trip;
later rows, if any, are fetched a page at a time (server-side cursors stream as before).
A commit or rollback with no transaction open (after reads only; the pool's rollback of a
connection given back) makes no trip.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

from server.sqlite_writes import SqliteWriteLock, begins_a_write

#: Rows fetched with the statement, and at each later trip: as many as SQLAlchemy's bulk
#: inserts return at once (``insertmanyvalues_page_size``), so their RETURNING rows (and
#: the row count, which ``sqlite3`` counts as they are fetched) come in the first trip.
PAGE = 1000

_Row = Any
#: What one trip brings back: description, rowcount, lastrowid, rows, and the ``sqlite3``
#: cursor if rows are left to fetch.
_Trip = tuple[Any, int, int | None, list[_Row], sqlite3.Cursor | None]


def _first_page(cursor: sqlite3.Cursor) -> _Trip:
    """After an execute, in the connection's thread: the results and the first page."""
    rows = cursor.fetchmany(PAGE) if cursor.description else []
    trip = (cursor.description, cursor.rowcount, cursor.lastrowid, rows)
    if len(rows) == PAGE:
        return (*trip, cursor)
    cursor.close()
    return (*trip, None)


def _execute(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> _Trip:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        return _first_page(cursor)
    except BaseException:
        cursor.close()
        raise


def _next_page(cursor: sqlite3.Cursor, size: int | None) -> tuple[list[_Row], bool]:
    """More rows (all that are left when ``size`` is None); True once none is left."""
    rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
    finished = size is None or len(rows) < size
    if finished:
        cursor.close()
    return rows, finished


class OneTripCursor:
    """The part of aiosqlite's cursor that SQLAlchemy's adapter uses, one trip a statement."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._open: sqlite3.Cursor | None = None
        self._rows: list[_Row] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        await self._run(False, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        await self._run(True, sql, parameters)
        return self

    async def _run(self, many: bool, sql: str, parameters: Any) -> None:
        await self.close()
        await self._connection.before(sql)
        trip = partial(_execute, self._connection.sqlite, many, sql, parameters)
        found: _Trip = await self._connection.call(trip)
        self.description, self.rowcount, self.lastrowid, self._rows, self._open = found

    async def _more(self, size: int | None) -> None:
        if self._open is None:
            return
        rows, finished = await self._connection.call(partial(_next_page, self._open, size))
        self._rows.extend(rows)
        if finished:
            self._open = None

    async def fetchall(self) -> list[_Row]:
        await self._more(None)
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> Sequence[_Row]:
        wanted = size or self.arraysize
        if len(self._rows) < wanted:
            await self._more(max(wanted - len(self._rows), PAGE))
        rows, self._rows = self._rows[:wanted], self._rows[wanted:]
        return rows

    async def fetchone(self) -> _Row | None:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def __aiter__(self) -> AsyncIterator[_Row]:
        while row := await self.fetchone():
            yield row

    async def close(self) -> None:
        self._rows = []
        if self._open is not None:
            cursor, self._open = self._open, None
            await self._connection.call(cursor.close)


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are :class:`OneTripCursor`, and whose writes
    wait for the process's other writers (``write_lock``, see ``sqlite_writes.py``)."""

    write_lock: SqliteWriteLock | None = None
    #: The event loop on which this connection holds the write lock, while it does.
    _writing: asyncio.AbstractEventLoop | None = None

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    async def before(self, sql: str) -> None:
        """Take the write lock before the statement that opens a write transaction."""
        if self.write_lock is not None and self._writing is None and begins_a_write(sql):
            await self.write_lock.acquire()
            self._writing = asyncio.get_running_loop()

    def _done_writing(self) -> None:
        """Give the turn back, on the event loop it was taken on (SQLAlchemy may stop a
        connection from elsewhere: the garbage collector, another thread)."""
        loop, self._writing = self._writing, None
        if loop is None or self.write_lock is None:
            return
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            self.write_lock.release()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self.write_lock.release)

    async def commit(self) -> None:
        """Commit, if a transaction is open (reads open none: no trip for them); the next
        writer's turn comes once the commit is done."""
        await self._end(super().commit)

    async def rollback(self) -> None:
        """Roll back, if a transaction is open (the pool rolls back every connection given
        back to it: no trip when there is nothing to undo)."""
        await self._end(super().rollback)

    async def _end(self, ending: Callable[[], Awaitable[None]]) -> None:
        try:
            if self._in_transaction():
                await ending()
        finally:
            self._done_writing()

    async def close(self) -> None:
        """Close (a connection closed in the middle of a write gives its turn up)."""
        try:
            await super().close()
        finally:
            self._done_writing()

    def stop(self) -> Any:
        """Stop at once (SQLAlchemy's terminate), giving up any turn to write."""
        self._done_writing()
        return super().stop()

    def _in_transaction(self) -> bool:
        # Read outside the thread: SQLAlchemy waits for each call on a connection before
        # the next, so nothing runs in the thread now. Unknown (closed): ask the thread.
        connection = self._connection
        return connection is None or connection.in_transaction

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The ``sqlite3`` connection, to be used only in the connection's thread."""
        return self._conn

    async def call(self, function: Any) -> Any:
        """Run ``function()`` in the connection's thread."""
        return await self._execute(function)


def one_trip_connector(path: str, write_lock: SqliteWriteLock | None, **options: Any) -> Any:
    """An ``async_creator`` for SQLAlchemy: connects to the SQLite file at ``path``; the
    connections take turns to write on ``write_lock`` (one per engine)."""

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(partial(sqlite3.connect, path, **options), 64)
        connection.write_lock = write_lock
        await connection  # starts its thread and connects
        return connection

    return connect
