"""One writer at a time among a process's connections to a SQLite file, queued in order.

SQLite lets one connection write at a time; the others wait in its busy handler, which
sleeps 1, 2, 5 … up to 100 ms between tries, so under a burst (the inbox storing, the
worker processing, deliveries recording outcomes) a waiting writer sleeps long after the
file is free, and the worker's deliveries starve behind the inbox. Here each of the
process's connections takes an asyncio lock before its first write of a transaction (the
statement before which Python's ``sqlite3`` opens one) and gives it back when the
transaction ends: writers of one process take turns as soon as the file is free. Another
process (a separate ``hearth worker``) still meets SQLite's own busy handler.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

#: The statements before which Python's ``sqlite3`` begins a transaction (CPython's
#: ``statement.c``: the first keyword, after blanks and comments, of a DML statement).
_WRITES = re.compile(
    r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(insert|update|delete|replace)\b", re.I | re.S
)
#: The lock a connection holds, in its ``info``, while it writes.
_HOLDING = "hearth.sqlite_writer"
#: Set on a dialect whose commit and rollback release the lock.
_WRAPPED = "_hearth_releases_write_locks"


class _Turns:
    """Whether a connection writes now, and the writers waiting for it, on one event loop."""

    def __init__(self) -> None:
        self.taken = False
        self.waiting: deque[asyncio.Future[None]] = deque()


class SqliteWriteLock:
    """A first-come, first-served lock per engine and event loop (an engine may outlive a
    loop: the CLI runs several), taken without awaiting when nobody holds it."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = (
            weakref.WeakKeyDictionary()
        )

    def _here(self) -> _Turns:
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = _Turns()
        return turns

    def taken(self) -> bool:
        """Whether a connection of this event loop writes now."""
        return self._here().taken

    def waiting(self) -> int:
        """How many writers of this event loop wait for their turn."""
        return sum(not turn.done() for turn in self._here().waiting)

    def take_if_free(self) -> bool:
        """Take the lock if nobody holds it."""
        turns = self._here()
        if turns.taken:
            return False
        turns.taken = True
        return True

    async def wait_for_turn(self, _driver_connection: Any = None) -> None:
        """Wait until the writers before this one are done, at most ``timeout`` seconds (as
        long as SQLite's busy handler would have waited), then hold the lock."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._here().waiting.append(turn)
        try:
            async with asyncio.timeout(self.timeout):
                await turn
        except BaseException as error:
            if turn.done() and not turn.cancelled():  # handed over as it gave up: pass it on
                self.release()
            if isinstance(error, TimeoutError):
                raise OperationalError(
                    "(waiting for this process's other writer)",
                    None,
                    TimeoutError("database is locked"),
                ) from None
            raise

    def release(self) -> None:
        """Hand the lock to the writer that has waited longest, or leave it free."""
        try:
            turns = self._here()
        except RuntimeError:  # a connection closed outside any loop: no writer can wait
            return
        while turns.waiting:
            turn = turns.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        turns.taken = False


def serialize_writes(engine: AsyncEngine, timeout: float) -> SqliteWriteLock:
    """Make ``engine``'s connections take turns to write (see the module's docstring)."""
    lock = SqliteWriteLock(timeout)

    def before_write(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        info = connection.info
        if _HOLDING in info or not _WRITES.match(statement):
            return
        if not lock.take_if_free():
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.run_async(lock.wait_for_turn)  # type: ignore[union-attr]
        info[_HOLDING] = lock

    def given_back(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        _release_held(record.info)  # given back, or lost, in the middle of a write

    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", before_write)
    event.listen(sync_engine, "checkin", given_back)
    _release_after_transactions(sync_engine.dialect)
    return lock


def _release_held(info: dict[str, Any] | None) -> None:
    lock: SqliteWriteLock | None = info.pop(_HOLDING, None) if info else None
    if lock is not None:
        lock.release()


def _info_of(dbapi_connection: Any) -> dict[str, Any] | None:
    """The ``info`` of the pool's proxy a dialect method is given (none for the bare
    connections SQLAlchemy tries on first connect)."""
    try:
        return dbapi_connection.info
    except (AttributeError, NotImplementedError):
        return None


def _release_after_transactions(dialect: Dialect) -> None:
    """Release the lock a connection holds once its commit or rollback is done (SQLAlchemy's
    ``commit`` event comes before the commit: released then, the next writer would find
    the file still locked and sleep in the busy handler). The dialect's own methods are
    wrapped, once: a dialect may serve several engines (the tests share one)."""
    if getattr(dialect, _WRAPPED, False):
        return

    def releasing(method: Callable[[Any], None]) -> Callable[[Any], None]:
        def ended(dbapi_connection: Any) -> None:
            try:
                method(dbapi_connection)
            finally:
                _release_held(_info_of(dbapi_connection))

        return ended

    dialect.do_commit = releasing(dialect.do_commit)  # type: ignore[method-assign,assignment]
    dialect.do_rollback = releasing(dialect.do_rollback)  # type: ignore[method-assign,assignment]
    setattr(dialect, _WRAPPED, True)
