"""Fresh, migrated databases for tests: SQLite files, or PostgreSQL schemas when
``HEARTH_TEST_DATABASE_URL`` names a PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers every table)
from server.db import create_engine
from server.migrate import alembic_config, migrate

POSTGRES_URL = os.environ.get("HEARTH_TEST_DATABASE_URL", "")
HEAD_REVISION = ScriptDirectory.from_config(alembic_config()).get_current_head()


@dataclass(frozen=True)
class TestDatabase:
    """Where one test's database lives."""

    url: str
    schema: str = ""


class DatabaseFactory:
    """Makes migrated databases.

    SQLite: a template migrated once per run, copied for each database. PostgreSQL: schemas
    migrated once and reused — each test's schemas are emptied (TRUNCATE) when it ends,
    which is much cheaper than migrating a fresh schema per test; all are dropped at the end.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.template: Path | None = None
        self.in_use: list[str] = []
        self.free: list[str] = []

    async def new(self) -> TestDatabase:
        if POSTGRES_URL:
            return await self._new_schema()
        return await self._new_sqlite()

    async def _new_sqlite(self) -> TestDatabase:
        if self.template is None:
            template = self.workdir / "template.db"
            engine = create_engine(f"sqlite+aiosqlite:///{template}")
            await migrate(engine)
            await engine.dispose()
            self.template = template
        target = self.workdir / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, target)
        return TestDatabase(url=f"sqlite+aiosqlite:///{target}")

    async def _new_schema(self) -> TestDatabase:
        if self.free:
            schema = self.free.pop()
        else:
            schema = f"t_{uuid.uuid4().hex[:16]}"
            admin = create_engine(POSTGRES_URL)
            async with admin.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
            engine = create_engine(POSTGRES_URL, schema)
            await migrate(engine)
            await engine.dispose()
        self.in_use.append(schema)
        return TestDatabase(url=POSTGRES_URL, schema=schema)

    async def drop_all(self) -> None:
        """Empty the schemas the finished test used and keep them for the next tests."""
        if not self.in_use:
            return
        admin = create_engine(POSTGRES_URL)
        async with admin.connect() as connection:
            for schema in self.in_use:
                if await _empty_schema(connection, schema):
                    self.free.append(schema)
                else:
                    await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                await connection.commit()
        await admin.dispose()
        self.in_use.clear()

    async def close(self) -> None:
        """Drop every schema this run made."""
        schemas = self.in_use + self.free
        if not schemas:
            return
        admin = create_engine(POSTGRES_URL)
        async with admin.begin() as connection:
            for schema in schemas:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
        self.in_use.clear()
        self.free.clear()


async def _empty_schema(connection: AsyncConnection, schema: str) -> bool:
    """Delete every row (children first); False if the schema is not at the head revision."""
    query = f'SELECT version_num FROM "{schema}".alembic_version'  # noqa: S608 (our own name)
    revision = await connection.execute(text(query))
    if [row[0] for row in revision] != [HEAD_REVISION]:
        await connection.rollback()
        return False
    for table in reversed(SQLModel.metadata.sorted_tables):
        await connection.execute(text(f'DELETE FROM "{schema}"."{table.name}"'))  # noqa: S608
    sequences = await connection.execute(
        text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"),
        {"s": schema},
    )
    for (name,) in sequences.all():  # ids start at 1 again, as in a fresh database
        await connection.execute(text(f'ALTER SEQUENCE "{schema}"."{name}" RESTART WITH 1'))
    return True
