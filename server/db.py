"""Database engine and sessions: SQLite (WAL, foreign keys) or PostgreSQL, one code path."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import HTTPConnection

from server.config import Settings
from server.inputs import MAX_ROW_ID
from server.request_scope import core_of
from server.sqlite_driver import one_trip_connector
from server.sqlite_writes import SqliteWriteLock

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def is_row_id(value: int) -> bool:
    """Whether ``value`` can be a row's id: a larger number from a URL would make the
    database driver raise (a 500) instead of finding nothing (a 404)."""
    return 0 < value <= MAX_ROW_ID


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")  # writers queue up under bursts, not fail
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: A pooled PostgreSQL connection idle this long is pinged before it is used again (a
#: restart, or a proxy's idle timeout, may have closed it). One checked in moments ago is
#: not: pinging every checkout cost a round trip per transaction (~0.2 ms of CPU each).
PING_IDLE_SECONDS = 5.0
_IDLE_SINCE = "hearth.idle_since"


def _ping_connections_left_idle(engine: AsyncEngine) -> None:
    """Ping a connection on checkout only when it sat in the pool ``PING_IDLE_SECONDS``;
    a dead one is replaced (the pool retries the checkout on ``DisconnectionError``)."""
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_SECONDS:
            return  # a new connection, or one in use moments ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection was closed while idle")

    event.listen(engine.sync_engine, "checkin", checked_in)
    event.listen(engine.sync_engine, "checkout", checked_out)


def _sqlite_connection(url: URL) -> dict[str, Any]:
    """How the engine connects to a SQLite file: through :mod:`server.sqlite_driver` (one
    trip to aiosqlite's thread a statement, writers taking turns), unless the URL asks for
    more than a file."""
    options = {"timeout": 30}
    if not url.database or url.database == ":memory:" or url.query:
        return {"connect_args": options}
    path = os.path.abspath(url.database)
    lock = SqliteWriteLock(timeout=options["timeout"])  # as long as SQLite's busy timeout
    return {"async_creator": one_trip_connector(path, lock, check_same_thread=False, **options)}


def create_engine(database_url: str, schema: str = "") -> AsyncEngine:
    """Create the async engine; SQLite gets WAL and foreign keys, PostgreSQL a search_path
    and a liveness ping for connections left idle."""
    url = make_url(database_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # A local file needs no liveness ping on every checkout (a round trip per transaction).
        engine = create_async_engine(url, **_sqlite_connection(url))
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    if schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(url, pool_size=10, max_overflow=10, **kwargs)
    _ping_connections_left_idle(engine)
    return engine


def engine_for(settings: Settings) -> AsyncEngine:
    """The engine described by the settings."""
    return create_engine(settings.database_url, settings.database.schema)


class HearthSession(Session):
    """The synchronous side of every session ``session_factory`` makes: the class the
    after-commit hook's events below listen on (and nothing else does)."""


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A factory of sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(
        engine, class_=AsyncSession, sync_session_class=HearthSession, expire_on_commit=False
    )


@dataclass(frozen=True)
class CommitHook:
    """``callback()`` once after each commit that added rows of one of the ``watched`` models."""

    watched: tuple[type, ...]
    callback: Callable[[], None]


_HOOK = "hearth.commit_hook"
_ADDED = "hearth.added_watched_rows"


def call_after_commits(
    sessions: async_sessionmaker[AsyncSession],
    watched: tuple[type, ...],
    callback: Callable[[], None],
) -> None:
    """Have ``callback()`` run after every commit, in a session of ``sessions``, that added
    rows of the ``watched`` models (the app wakes its worker so). Bound to this factory
    only: another app's sessions in the same process call their own callback."""
    sessions.configure(info={_HOOK: CommitHook(watched, callback)})


def note_inserted(session: AsyncSession, model: type) -> None:
    """Rows of ``model`` were inserted past the unit of work (``insert()`` on the session's
    connection, which no flush sees): the after-commit hook counts them as added."""
    hook = session.info.get(_HOOK)
    if hook is not None and issubclass(model, hook.watched):
        session.info[_ADDED] = True


@event.listens_for(HearthSession, "after_flush")
def _note_flushed(session: Session, _flush: UOWTransaction) -> None:
    hook = session.info.get(_HOOK)
    if hook is None or session.info.get(_ADDED):
        return
    if any(isinstance(row, hook.watched) for row in session.new):  # still the flushed ones
        session.info[_ADDED] = True


@event.listens_for(HearthSession, "after_commit")
def _call_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: nothing is committed yet
    if session.info.pop(_ADDED, False):
        try:
            session.info[_HOOK].callback()
        except Exception:
            log.exception("the after-commit callback failed (the commit stands)")


@event.listens_for(HearthSession, "after_rollback")
def _forget_added(session: Session) -> None:
    if session.get_nested_transaction() is None:  # the whole transaction, not a savepoint
        session.info.pop(_ADDED, None)


def dialect_of(session: AsyncSession) -> str:
    """The name of the session's database dialect: ``postgresql`` or ``sqlite``."""
    return session.get_bind().dialect.name


def _dialect_insert(dialect: str) -> Callable[[type], postgresql.Insert | sqlite.Insert]:
    """The ``insert`` construct of ``dialect`` (PostgreSQL or SQLite)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_new(
    dialect: str, model: type, *, keys: tuple[str, ...]
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` into ``model``'s table for ``dialect``
    (PostgreSQL or SQLite), to execute with a row as parameters; add ``.returning(...)``
    to learn whether it was inserted."""
    return _dialect_insert(dialect)(model).on_conflict_do_nothing(index_elements=list(keys))


def upsert(
    session: AsyncSession, model: type, rows: list[dict[str, Any]], *, key: str
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` of ``rows`` (dicts with the same columns)
    into ``model``'s table: a row whose ``key`` exists gets the given columns, the others
    it keeps. In the session's dialect (PostgreSQL or SQLite); add ``.returning(...)``."""
    statement = _dialect_insert(dialect_of(session))(model).values(rows)
    columns = [name for name in rows[0] if name != key]
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in columns}
    )


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed together, or rolled back whole on any error."""
    async with sessions() as session, session.begin():
        yield session


def db(request: HTTPConnection) -> AbstractAsyncContextManager[AsyncSession]:
    """The transaction of a request (``async with db(request) as session``): committed at
    the end, rolled back whole on any error."""
    return transaction(core_of(request.app).sessions)
