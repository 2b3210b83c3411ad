"""Fixtures for the server tests: more browsers, other settings, the CLI run in-process,
an empty database, and table snapshots to prove that a refused request wrote nothing.

(The autouse fixtures that keep every test fast live in tests/speed.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from server.activitypub.runtime import runtime_of
from server.config import Settings
from server.db import create_engine
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.databases import POSTGRES_URL, TestDatabase
from tests.server.cli_runner import CliResult, run_cli
from tests.server.db_access import Snapshot, take_snapshot
from tests.web import WebClient

BrowserFactory = Callable[..., Awaitable[WebClient]]
CliRunner = Callable[..., CliResult]
AsyncCliRunner = Callable[..., Awaitable[CliResult]]
Tokens = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def bearer(web: WebClient, run_in_db: Callable[..., Any]) -> Tokens:
    """``await bearer(username)``: headers with a new API token of a new account."""

    async def make(username: str) -> dict[str, str]:
        await web.make_user(username)

        async def token(session: Any) -> str:
            return await create_api_token(session, await get_user(session, username))

        return {"Authorization": f"Bearer {await run_in_db(token)}"}

    return make


@pytest.fixture
async def browser_for(app_for: Callable[[Settings], Any]) -> AsyncIterator[BrowserFactory]:
    """``await browser_for(settings, app=None)``: a new browser (own cookies) on an app for
    ``settings``; pass ``app`` to open another browser on an app that already exists."""
    async with contextlib.AsyncExitStack() as stack:

        async def build(settings: Settings, app: Any = None) -> WebClient:
            target = app if app is not None else app_for(settings)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=target), base_url=settings.base_url
            )
            await stack.enter_async_context(client)
            return WebClient(client, target)

        yield build


@pytest.fixture
async def second_browser(browser_for: BrowserFactory, app: Any, settings: Settings) -> WebClient:
    """Another browser (its own cookies) on the same app as ``web``."""
    return await browser_for(settings, app)


@pytest.fixture
def snapshot(app: Any) -> Callable[[], Awaitable[Snapshot]]:
    """``await snapshot()``: every row of every table of the ``app`` fixture's database."""
    return lambda: take_snapshot(runtime_of(app).engine)


def write_config(path: Path, settings: Settings, extra: str = "") -> Path:
    """A TOML file pointing the CLI at the same data dir and database as ``settings``."""
    lines = [
        "[server]",
        f"data_dir = {json.dumps(settings.server.data_dir)}",
        "[database]",
        f"url = {json.dumps(settings.database.url)}",
        f"schema = {json.dumps(settings.database.schema)}",
        extra,
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def clean_hearth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HEARTH_* setting from the outer environment leaks into an in-process CLI run."""
    for key in list(os.environ):
        if key.startswith("HEARTH_") and key != "HEARTH_TEST_DATABASE_URL":
            monkeypatch.delenv(key)


@pytest.fixture
def cli_config(tmp_path: Path, settings: Settings) -> Path:
    """A config file for the CLI that shares the ``web`` app's database and data dir."""
    return write_config(tmp_path / "hearth.toml", settings)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_hearth_env: None
) -> CliRunner:
    """``cli(*args, stdin="")``: run ``hearth`` in-process; returns status, stdout, stderr."""
    return lambda *args, stdin="": run_cli(capsys, monkeypatch, list(args), stdin)


@pytest.fixture
def acli(cli: CliRunner) -> AsyncCliRunner:
    """The same for async tests (the CLI runs its own event loop, so in a thread)."""

    async def run(*args: str, stdin: str = "") -> CliResult:
        return await asyncio.to_thread(cli, *args, stdin=stdin)

    return run


@pytest.fixture
async def empty_database(tmp_path: Path) -> AsyncIterator[TestDatabase]:
    """A database without any table: a new SQLite file, or a new PostgreSQL schema."""
    if not POSTGRES_URL:
        yield TestDatabase(url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        return
    schema = f"e_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield TestDatabase(url=POSTGRES_URL, schema=schema)
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
