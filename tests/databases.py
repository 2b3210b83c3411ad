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
from sqlalchemy.exc import DBAPIError
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
    """Delete every row (children first) and restart every sequence, in one round trip (a
    ``DO`` block: a statement per table cost a tenth of a second per test); False, with
    nothing changed, if the schema is not at the head revision."""
    try:
        await connection.execute(text(await _reset_block(connection, schema)))
    except DBAPIError as error:
        if NOT_AT_HEAD not in str(error):
            raise
        await connection.rollback()
        return False
    return True


#: What the reset block raises when a test left its schema at another revision.
NOT_AT_HEAD = "hearth-test: not at the head revision"
_sequences: list[str] = []


async def _reset_block(connection: AsyncConnection, schema: str) -> str:
    """The ``DO`` block that empties ``schema``: a table is deleted from only if it has a
    row, a sequence set back with ``setval`` (no lock taken, unlike ``ALTER SEQUENCE``).
    Only our own table and sequence names go into it; the sequences, the same in every
    schema at head, are looked up once."""
    if not _sequences:
        query = "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"
        found = await connection.execute(text(query), {"s": schema})
        _sequences.extend(name for (name,) in found.all())
    versions = f"SELECT string_agg(version_num, ',') FROM \"{schema}\".alembic_version"  # noqa: S608
    steps = [
        f"IF ({versions}) IS DISTINCT FROM '{HEAD_REVISION}' THEN"
        f" RAISE EXCEPTION '{NOT_AT_HEAD}'; END IF;"
    ]
    for table in reversed(SQLModel.metadata.sorted_tables):  # children first
        name = f'"{schema}"."{table.name}"'
        steps.append(f"IF EXISTS (SELECT FROM {name}) THEN DELETE FROM {name}; END IF;")  # noqa: S608
    steps += [f"""PERFORM setval('"{schema}"."{name}"', 1, false);""" for name in _sequences]
    return "DO $$ BEGIN " + " ".join(steps) + " END $$"
