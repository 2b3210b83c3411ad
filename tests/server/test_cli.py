"""The ``hearth`` command, run in-process against the test database: accounts, groups,
tokens, the health check, help texts, and one-line errors with the right exit status."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.cli import build_parser
from server.models import User
from tests.databases import POSTGRES_URL
from tests.server.accounts import is_signed_in
from tests.server.conftest import AsyncCliRunner, CliRunner
from tests.server.db_access import run_in
from tests.servers import free_port
from tests.web import PASSWORD, WebClient


def subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every command path of the parser (``("user", "create")``…) with its help text."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*prefix, name), helps.get(name) or ""
                yield from subcommands(sub, (*prefix, name))


COMMANDS = list(subcommands(build_parser()))


def one_line_error(result: Any, status: int) -> str:
    assert result.status == status, (result.out, result.err)
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("hearth: ")
    assert "Traceback" not in result.err
    line: str = result.err.strip()
    return line


def test_every_command_has_help(cli: CliRunner) -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"serve", "migrate", "check", "user create", "group create", "token create"} <= names


@pytest.mark.parametrize(("path", "text"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_of_each_command(cli: CliRunner, path: tuple[str, ...], text: str) -> None:
    result = cli(*path, "--help")
    assert result.status == 0
    assert result.err == ""
    assert result.out.startswith(f"usage: hearth {' '.join(path)}")
    children = [child[-1] for child, _ in COMMANDS if child[:-1] == path]
    if children:  # a group of actions lists them
        listed = [line.split()[0] for line in result.out.splitlines() if line.startswith("    ")]
        assert children == [name for name in listed if name in children], result.out
        assert set(children) <= set(listed)
    else:  # an action describes itself
        assert text in " ".join(result.out.split())


def test_top_level_help_and_version(cli: CliRunner) -> None:
    result = cli("--help")
    assert result.status == 0
    assert "HEARTH_<SECTION>_<KEY>" in result.out
    version = cli("--version")
    assert (version.status, version.out.split()[0]) == (0, "hearth")
    missing = cli()
    assert missing.status == 2
    assert "usage: hearth" in missing.err


async def test_user_create_reads_the_password_from_stdin(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path
) -> None:
    result = await acli(
        "--config",
        str(cli_config),
        "user",
        "create",
        "Admin",
        "--email",
        "root@example.org",
        "--display-name",
        "The Admin",
        "--admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert (result.status, result.out, result.err) == (0, "created admin user @admin\n", "")
    await web.login("admin")
    assert (await web.get("/admin")).status_code == 200
    plain = await acli(
        "--config",
        str(cli_config),
        "user",
        "create",
        "bob",
        "--email",
        "b@example.org",
        stdin=PASSWORD,
    )
    assert plain.out == "created user @bob\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["alice", "--email", "x@example.org"], PASSWORD, "already taken"),
        (["bob", "--email", "alice@example.org"], PASSWORD, "already exists"),
        (["bob", "--email", "nope"], PASSWORD, "valid email"),
        (["bob", "--email", "b@example.org"], "short", "at least 10 characters"),
        (["bob", "--email", "b@example.org"], "", "no password was given"),
        (["b", "--email", "b@example.org"], PASSWORD, "between 2 and 30"),
    ],
)
async def test_user_create_errors_are_one_line(
    web: WebClient,
    acli: AsyncCliRunner,
    cli_config: Path,
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    await web.make_user("alice")
    result = await acli("--config", str(cli_config), "user", "create", *args, stdin=stdin)
    assert message in one_line_error(result, 1)

    async def usernames(session: Any) -> list[str]:
        return list((await session.exec(select(User.username))).all())

    assert await run_in(runtime_of(web.app).engine, usernames) == ["alice"]


async def test_set_password_signs_out_every_browser(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path
) -> None:
    await web.login_as_new("alice")
    new = "the new password!"
    result = await acli(
        "--config",
        str(cli_config),
        "user",
        "set-password",
        "alice",
        "--password-stdin",
        stdin=new,
    )
    assert (result.status, result.out) == (0, "password of @alice changed\n")
    assert not await is_signed_in(web)
    old = await web.post_form("/login", {"login": "alice", "password": PASSWORD})
    assert old.status_code == 403
    await web.login("alice", new)


@pytest.mark.parametrize(
    "args",
    [
        ["user", "set-password", "ghost"],
        ["user", "reset-link", "ghost"],
        ["token", "create", "ghost"],
        ["group", "create", "club", "--name", "Club", "--owner", "ghost"],
    ],
)
def test_an_unknown_user_is_exit_1(cli: CliRunner, cli_config: Path, args: list[str]) -> None:
    result = cli("--config", str(cli_config), *args, stdin=PASSWORD)
    assert one_line_error(result, 1) == "hearth: No user named ghost."


async def test_group_create(web: WebClient, acli: AsyncCliRunner, cli_config: Path) -> None:
    await web.make_user("alice")
    result = await acli(
        "--config",
        str(cli_config),
        "group",
        "create",
        "Repair-Cafe",
        "--name",
        "Repair Café",
        "--owner",
        "alice",
        "--summary",
        "We fix **things**",
        "--location",
        "Riverside",
    )
    assert result.status == 0, result.err
    assert result.out == "created group http://localhost:8000/groups/repair-cafe\n"
    page = await web.get("/groups/repair-cafe")
    assert "<strong>things</strong>" in page.text
    assert "Riverside" in page.text
    await web.login("alice")
    edit = await web.get("/groups/repair-cafe/edit")
    assert edit.status_code == 200
    # No coordinates: the fields are empty (not "None"), and the form saves as it is.
    fields = dict(
        re.findall(r'<input id="[^"]+" name="([^"]+)" type="text" value="([^"]*)"', edit.text)
    )
    assert fields["latitude"] == fields["longitude"] == ""
    assert "None" not in fields.values()
    saved = await web.post_form(
        "/groups/repair-cafe/edit",
        {**fields, "summary": "We fix **things**"},
        csrf_from="/groups/repair-cafe/edit",
    )
    assert saved.status_code == 303, saved.text

    taken = await acli(
        "--config", str(cli_config), "group", "create", "alice", "--name", "X", "--owner", "alice"
    )
    assert "already taken" in one_line_error(taken, 1)
    reserved = await acli(
        "--config", str(cli_config), "group", "create", "new", "--name", "X", "--owner", "alice"
    )
    assert "is reserved" in one_line_error(reserved, 1)


async def test_token_create_prints_only_the_token(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path
) -> None:
    await web.make_user("alice")
    first = await acli("--config", str(cli_config), "token", "create", "alice")
    second = await acli("--config", str(cli_config), "token", "create", "alice")
    assert first.status == second.status == 0
    assert first.out != second.out
    for result in (first, second):
        headers = {"Authorization": f"Bearer {result.out.strip()}"}
        assert (await web.get("/api/v1/me", headers=headers)).status_code == 200


async def test_check_reports_each_part(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path, settings: Any
) -> None:
    await web.login_as_new("alice")
    await web.create_group("club")
    result = await acli("--config", str(cli_config), "check")
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "config: ok (http://localhost:8000, registration open)"
    assert lines[1].startswith("database: ok (")
    assert lines[1].endswith("1 user(s), 1 group(s))")
    assert lines[2] == "keys: ok (3 actors can sign)"
    assert lines[3] == f"secret key: ok ({settings.data_path / 'secret_key'})"
    assert result.err == ""


async def test_check_fails_on_an_unreadable_signing_key(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path
) -> None:
    await web.make_user("alice")

    async def corrupt(session: Any) -> None:
        user = (await session.exec(select(User))).one()
        user.private_key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
        session.add(user)

    await run_in(runtime_of(web.app).engine, corrupt)
    result = await acli("--config", str(cli_config), "check")
    line = one_line_error(result, 1)
    assert line.startswith("hearth: the signing key of @alice is unreadable")


def test_check_fails_when_the_database_is_unreachable(tmp_path: Path, cli: CliRunner) -> None:
    port = free_port()
    config = tmp_path / "hearth.toml"
    url = f"postgresql+asyncpg://hearth:s3cret@127.0.0.1:{port}/hearth"
    config.write_text(
        f"[server]\ndata_dir = {json.dumps(str(tmp_path / 'data'))}\n"
        f"[database]\nurl = {json.dumps(url)}\n"
    )
    result = cli("--config", str(config), "check")
    line = one_line_error(result, 1)
    assert line.startswith(
        f"hearth: cannot use the database postgresql+asyncpg://hearth:***@127.0.0.1:{port}/hearth"
    )
    assert "s3cret" not in result.err + result.out


async def test_check_on_an_unmigrated_database(
    tmp_path: Path, acli: AsyncCliRunner, empty_database: Any
) -> None:
    config = tmp_path / "fresh.toml"
    config.write_text(
        f"[server]\ndata_dir = {json.dumps(str(tmp_path / 'data'))}\n"
        f"[database]\nurl = {json.dumps(empty_database.url)}\n"
        f"schema = {json.dumps(empty_database.schema)}\n"
    )
    result = await acli("--config", str(config), "check")
    if POSTGRES_URL:
        assert "run `hearth migrate` first" in one_line_error(result, 1)
    else:  # the embedded SQLite database migrates itself
        assert result.status == 0, result.err
        assert "0 user(s), 0 group(s)" in result.out


def test_serve_option_overrides_are_validated(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("serve", "--port", "70000")
    assert "server.port" in one_line_error(result, 2)
    missing = cli("serve", "--ssl-certfile", str(tmp_path / "c.pem"))
    assert "server.ssl" in one_line_error(missing, 2)
