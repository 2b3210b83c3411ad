"""``hearth serve --workers N`` runs N server processes on one port; a session made in one
is good in the others (they share the secret key and the database)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from server.cli import main
from tests.servers import PASSWORD, clean_env, create_user, free_port, serve

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PROCESS_RE = re.compile(r"Started server process \[(\d+)\]")


def test_serve_with_two_processes(tmp_path: Path) -> None:
    config = tmp_path / "hearth.toml"
    config.write_text('[instance]\nname = "Two Hearths"\n')
    env = clean_env(HEARTH_CONFIG=str(config))
    port = free_port()
    create_user(tmp_path, env, "alice")
    with serve(tmp_path, env, port, options=("--workers", "2")) as server:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            page = client.get("/login")
            match = CSRF_RE.search(page.text)
            assert match
            login = {"login": "alice", "password": PASSWORD, "csrf_token": match.group(1)}
            assert client.post("/login", data=login).status_code == 303
            cookies = client.cookies
        # Fresh connections land on either process; every one knows alice's session and
        # reads the config file the parent was given.
        for _ in range(12):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=cookies) as fresh:
                home = fresh.get("/", headers={"connection": "close"})
                assert home.status_code == 200
                assert "Two Hearths" in home.text
                assert "alice" in home.text
        log = server.log_path.read_text()
    assert "with 2 processes" in log
    assert len(set(PROCESS_RE.findall(log))) == 2, log


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_workers_and_concurrency_must_be_positive_numbers(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["serve", "--workers", value], ["worker", "--concurrency", value]):
        with pytest.raises(SystemExit) as exited:
            main(command)
        assert exited.value.code == 2
        error = capsys.readouterr().err
        assert f"argument {command[1]}: " in error
        assert "at least 1" in error or "whole number" in error
