"""An organizer's first minutes: the password prompt, the links of ``hearth serve --port``,
the first admin made in the browser at /setup, and ``hearth backup``."""

from __future__ import annotations

import html
import sqlite3
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from server.config import Settings
from server.setup_code import create_setup_code
from tests.databases import POSTGRES_URL
from tests.server.cli_runner import run_cli
from tests.server.conftest import AsyncCliRunner
from tests.server.db_access import Snapshot
from tests.web import PASSWORD, WebClient


@pytest.mark.parametrize(
    ("typed", "status", "said"),
    [
        (
            ["short", PASSWORD, "a typo in it!", PASSWORD, PASSWORD],
            0,
            ["Use at least 10 characters. Try again.", "The two passwords differ. Try again."],
        ),
        (["short"] * 5, 1, ["hearth: no password set after 5 tries"]),
    ],
)
def test_the_password_prompt_says_the_minimum_and_asks_again(
    web: WebClient,
    cli_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    typed: list[str],
    status: int,
    said: list[str],
) -> None:
    args = ["--config", str(cli_config), "user", "create", "alice", "--email", "a@example.org"]
    result = run_cli(capsys, monkeypatch, args, typed=typed)
    assert result.status == status, result.err
    assert result.out == ("created user @alice\n" if status == 0 else "")
    assert "at least 10 characters" in result.err.splitlines()[0]
    for line in said:
        assert line in result.err


async def test_the_first_admin_is_made_at_setup_with_the_console_code(
    web: WebClient, settings: Settings, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    home = await web.get("/")
    assert 'href="/setup"' in home.text and "create the admin account" in home.text
    no_code = await web.get("/setup")
    assert "There is no setup code right now. Restart <code>hearth serve</code>" in no_code.text

    code = create_setup_code(settings.data_path)
    form = {
        "username": "admin",  # reserved for sign-ups, fine for the operator
        "display_name": "Rosa",
        "email": "rosa@example.org",
        "password": PASSWORD,
    }
    before = await snapshot()
    wrong = await web.post_form("/setup", {**form, "code": "abcd-efgh-jkmn"}, csrf_from="/setup")
    assert wrong.status_code == 403
    assert "This is not the setup code printed by “hearth serve”." in html.unescape(wrong.text)
    short = await web.post_form(
        "/setup", {**form, "code": code, "password": "short"}, csrf_from="/setup"
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert await snapshot() == before

    typed = code.upper().replace("-", " ")  # as read aloud from the console
    done = await web.post_form("/setup", {**form, "code": typed}, csrf_from="/setup")
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    admin = await web.get("/admin")
    assert admin.status_code == 200 and "Welcome, Rosa! You are the admin" in admin.text
    assert not (settings.data_path / "setup_code").exists()

    # Used up: the form is gone, and a second try with the same code gets nowhere.
    assert (await web.get("/setup")).headers["location"] == "/login"
    await web.logout()
    again = await web.post_form(
        "/setup",
        {**form, "username": "mallory", "email": "m@example.org", "code": code},
        csrf_from="/login",
    )
    assert again.status_code == 303 and again.headers["location"] == "/login"
    assert 'href="/setup"' not in (await web.get("/")).text


async def test_creating_an_account_on_the_command_line_closes_setup(
    web: WebClient, settings: Settings, acli: AsyncCliRunner, cli_config: Path
) -> None:
    create_setup_code(settings.data_path)
    result = await acli(
        "--config",
        str(cli_config),
        "user",
        "create",
        "alice",
        "--email",
        "a@example.org",
        "--admin",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert result.status == 0, result.err
    assert not (settings.data_path / "setup_code").exists()
    assert (await web.get("/setup")).headers["location"] == "/login"


async def test_backup_copies_database_key_and_uploads_of_a_running_instance(
    web: WebClient, settings: Settings, acli: AsyncCliRunner, cli_config: Path, tmp_path: Path
) -> None:
    await web.login_as_new("alice")
    assert (await web.create_group("club", "Chess Club")).status_code == 303
    photo = settings.uploads_path / "ab" / "photo.webp"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"RIFF-not-really-an-image")
    target = tmp_path / "backups" / "monday"

    result = await acli("--config", str(cli_config), "backup", str(target))
    assert result.status == 0, result.err
    key = target / "secret_key"
    assert key.read_text() == (settings.data_path / "secret_key").read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (target / "uploads" / "ab" / "photo.webp").read_bytes() == photo.read_bytes()
    if POSTGRES_URL:
        assert "the database is PostgreSQL: back it up with pg_dump" in result.out
        assert not (target / "hearth.db").exists()
    else:
        assert result.out == (
            f"backed up the database (hearth.db), the secret key and 1 uploaded file(s) "
            f"to {target}\n"
        )
        with sqlite3.connect(target / "hearth.db") as copy:
            names = [row[0] for row in copy.execute("SELECT username FROM users")]
            groups = [row[0] for row in copy.execute("SELECT slug FROM groups")]
        assert names == ["alice"] and groups == ["club"]
    assert (await web.get("/groups/club")).status_code == 200  # the server kept running

    again = await acli("--config", str(cli_config), "backup", str(target))
    assert again.status == 1
    assert again.err == f"hearth: {target} exists and is not an empty folder: choose a new one\n"
