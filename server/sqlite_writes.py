"""One writer at a time among a process's connections to a SQLite file, queued in order.

SQLite lets one connection write at a time; the others wait in its busy handler, which
sleeps 1, 2, 5 … up to 100 ms between tries, so under a burst (the inbox storing, the
worker processing, deliveries recording outcomes) a waiting writer sleeps long after the
file is free, and the worker's deliveries starve behind the inbox. The connections of
``server/sqlite_driver.py`` take this lock before their transaction's first write (the
statement before which Python's ``sqlite3`` opens one) and give it back once the
transaction is committed or rolled back: the writers of one process take turns as soon
as the file is free. Another process (a separate ``hearth worker``) still meets SQLite's
own busy handler.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import weakref
from collections import deque

#: The statements before which Python's ``sqlite3`` begins a transaction (CPython's
#: ``statement.c``: the first keyword, after blanks and comments, of a DML statement).
_WRITES = re.compile(
    r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(insert|update|delete|replace)\b", re.I | re.S
)


def begins_a_write(sql: str) -> bool:
    """Whether ``sqlite3`` opens a write transaction before ``sql`` (when none is open)."""
    return _WRITES.match(sql) is not None


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

    async def acquire(self) -> None:
        """Hold the lock: at once if it is free, else in turn (see :meth:`wait_for_turn`)."""
        turns = self._here()
        if turns.taken:
            await self.wait_for_turn()
        else:
            turns.taken = True

    async def wait_for_turn(self) -> None:
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
                waited = f"waited {self.timeout:g} s for this process's other writers"
                raise sqlite3.OperationalError(f"database is locked ({waited})") from None
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
