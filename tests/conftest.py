"""Shared fixtures: settings, a fresh database per test, the app and an HTTP client."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.activitypub.runtime import runtime_of
from server.app import create_app
from server.config import Settings, load_settings
from server.db import create_engine, session_factory, transaction
from tests.databases import POSTGRES_URL, DatabaseFactory, TestDatabase
from tests.web import WebClient

pytest_plugins = ["tests.speed"]


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    asyncio.run(factory.close())


@pytest.fixture
async def database(database_factory: DatabaseFactory) -> AsyncIterator[TestDatabase]:
    db = await database_factory.new()
    yield db
    await database_factory.drop_all()


def make_settings(tmp_path: Path, database: TestDatabase, **sections: dict[str, Any]) -> Settings:
    """Settings for a test instance; ``sections`` override single keys, e.g. instance={...}."""
    base = load_settings(None, env={})
    changes: dict[str, Any] = {
        "server": dataclasses.replace(base.server, data_dir=str(tmp_path / "data")),
        "database": dataclasses.replace(base.database, url=database.url, schema=database.schema),
    }
    for name, values in sections.items():
        changes[name] = dataclasses.replace(changes.get(name, getattr(base, name)), **values)
    return dataclasses.replace(base, **changes)


SettingsMaker = Callable[..., Settings]


@pytest.fixture
def settings_for(tmp_path: Path, database: TestDatabase) -> SettingsMaker:
    return lambda **sections: make_settings(tmp_path, database, **sections)


@pytest.fixture
def settings(settings_for: SettingsMaker) -> Settings:
    return settings_for()


@pytest.fixture
async def app_for(database: TestDatabase) -> AsyncIterator[Callable[[Settings], Any]]:
    engines = []

    def build(settings: Settings) -> Any:
        engine = create_engine(settings.database_url, settings.database.schema)
        engines.append(engine)
        return create_app(settings, engine=engine)

    yield build
    for engine in engines:
        await engine.dispose()


@pytest.fixture
def app(app_for: Callable[[Settings], Any], settings: Settings) -> Any:
    return app_for(settings)


@pytest.fixture
async def web(app: Any, settings: Settings) -> AsyncIterator[WebClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield WebClient(client, app)


@pytest.fixture
def run_in_db(app: Any) -> Callable[..., Any]:
    """Run ``func(session)`` in a committed transaction on the app's database."""

    async def run(func: Callable[..., Any]) -> Any:
        async with transaction(session_factory(runtime_of(app).engine)) as session:
            return await func(session)

    return run


#: The fixtures through which a test reaches a database (a migrated one, an empty one, or the
#: settings of a ``hearth`` process); a test that reaches PostgreSQL otherwise is marked
#: ``postgres``.
DATABASE_FIXTURES = frozenset({"database", "database_factory", "empty_database", "database_env"})


def uses_database(item: pytest.Item) -> bool:
    """Whether the test's outcome can depend on which database the run uses."""
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & DATABASE_FIXTURES) or item.get_closest_marker("postgres") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running in this thread
    until the session ends, and the asyncio tests cannot start their own loops after it.

    On PostgreSQL (``HEARTH_TEST_DATABASE_URL``), leave out the tests that touch no database:
    they ran, the same, in the SQLite run (a third of the suite: the protocol's own tests)."""
    if POSTGRES_URL:
        kept, left_out = [], []
        for item in items:
            (kept if uses_database(item) else left_out).append(item)
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = kept
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
