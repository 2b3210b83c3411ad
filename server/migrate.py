"""Apply Alembic migrations programmatically (``hearth migrate``, start-up, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from server.resources import resource_dir


def alembic_config() -> Config:
    """An Alembic config pointing at the bundled ``migrations`` directory."""
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` in one transaction where supported."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def pending_migrations(engine: AsyncEngine) -> list[str]:
    """Revisions not yet applied, oldest first (empty when the schema is current)."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current_revision)
    script = ScriptDirectory.from_config(alembic_config())
    pending = [rev.revision for rev in script.iterate_revisions("head", current)]
    return list(reversed(pending))
