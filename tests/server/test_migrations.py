"""Migrations: an empty database gets every table, the migrated schema matches the models
exactly (Alembic autogenerate finds nothing to do), and migrating again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers every table)
from server.db import create_engine
from server.migrate import alembic_config, migrate, pending_migrations
from tests import databases
from tests.server.conftest import AsyncCliRunner


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return list(compare_metadata(context, SQLModel.metadata))


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def _engine(database: databases.TestDatabase) -> AsyncEngine:
    return create_engine(database.url, database.schema)


async def test_migrate_creates_every_table_of_the_models(
    empty_database: databases.TestDatabase,
) -> None:
    engine = await _engine(empty_database)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) == set()
            missing = await connection.run_sync(_schema_differences)
        # The comparison sees the real schema: on an empty database, every table is missing.
        assert {diff[1].name for diff in missing if diff[0] == "add_table"} == set(
            SQLModel.metadata.tables
        )
        assert await pending_migrations(engine) != []
        await migrate(engine)
        async with engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
        assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}
        assert await pending_migrations(engine) == []
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_models(database: databases.TestDatabase) -> None:
    engine = await _engine(database)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_schema_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def test_downgrade_to_base_and_upgrade_again(empty_database: databases.TestDatabase) -> None:
    engine = await _engine(empty_database)
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_base)
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) <= {"alembic_version"}
        await migrate(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_differences) == []
    finally:
        await engine.dispose()


async def test_hearth_migrate_twice_is_idempotent(
    tmp_path: Path, empty_database: databases.TestDatabase, acli: AsyncCliRunner
) -> None:
    config = tmp_path / "hearth.toml"
    config.write_text(
        f"[server]\ndata_dir = {str(tmp_path / 'data')!r}\n"
        f"[database]\nurl = {empty_database.url!r}\nschema = {empty_database.schema!r}\n"
    )
    first = await acli("--config", str(config), "migrate")
    assert (first.status, first.err) == (0, "")
    assert first.out.startswith("applied ")
    assert "migration(s)" in first.out

    engine = await _engine(empty_database)
    try:
        async with engine.connect() as connection:
            before = await connection.run_sync(_table_names)
        second = await acli("--config", str(config), "migrate")
        assert (second.status, second.out, second.err) == (0, "the database is up to date\n", "")
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) == before
            assert await connection.run_sync(_schema_differences) == []
    finally:
        await engine.dispose()
