"""Fresh, migrated databases for tests: SQLite files, or PostgreSQL schemas when
``HEARTH_TEST_DATABASE_URL`` names a PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from server.db import create_engine
from server.migrate import migrate

POSTGRES_URL = os.environ.get("HEARTH_TEST_DATABASE_URL", "")


@dataclass(frozen=True)
class TestDatabase:
    """Where one test's database lives."""

    url: str
    schema: str = ""


class DatabaseFactory:
    """Makes migrated databases; SQLite copies a template migrated once per run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.template: Path | None = None
        self.schemas: list[str] = []

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
        schema = f"t_{uuid.uuid4().hex[:16]}"
        admin = create_engine(POSTGRES_URL)
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        self.schemas.append(schema)
        engine = create_engine(POSTGRES_URL, schema)
        await migrate(engine)
        await engine.dispose()
        return TestDatabase(url=POSTGRES_URL, schema=schema)

    async def drop_all(self) -> None:
        if not self.schemas:
            return
        admin = create_engine(POSTGRES_URL)
        async with admin.begin() as connection:
            for schema in self.schemas:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
        self.schemas.clear()
