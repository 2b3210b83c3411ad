"""Direct database access for tests: snapshots of every row (to show that a refused request
changed nothing) and one-off transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Set
from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import server.models  # noqa: F401  (registers every table)
from server.db import session_factory, transaction

T = TypeVar("T")

Snapshot = dict[str, list[tuple[object, ...]]]


def _rows(connection: Connection, skip: Mapping[str, Set[str]]) -> Snapshot:
    tables: Snapshot = {}
    existing = set(inspect(connection).get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing:
            continue
        skipped = skip.get(table.name, set())
        columns = [column for column in table.columns if column.name not in skipped]
        rows = connection.execute(select(*columns)).all()
        tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


async def take_snapshot(
    engine: AsyncEngine, skip: Mapping[str, Set[str]] | None = None
) -> Snapshot:
    """The content of the whole database, table by table (less the ``skip`` columns by table)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_rows, skip or {})


async def run_in(engine: AsyncEngine, func: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``func(session)`` in one committed transaction."""
    async with transaction(session_factory(engine)) as session:
        return await func(session)
