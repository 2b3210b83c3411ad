"""``hearth serve`` for real: with no config in an empty directory it creates ./data with the
SQLite database (migrated) and the secret key, and answers on 127.0.0.1."""

from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory

from server.migrate import alembic_config
from tests.servers import PASSWORD, clean_env, create_user, free_port, serve

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head
    return head


def test_serve_starts_from_nothing(tmp_path: Path) -> None:
    env = clean_env()
    port = free_port()
    with serve(tmp_path, env, port) as server:
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert home.status_code == 200
        assert "Find a group" in home.text
        assert home.headers["x-content-type-options"] == "nosniff"
        log = server.log_path.read_text()
        # No domain configured: the links name the port served, not the default 8000.
        assert f"Hearth is serving http://localhost:{port} on 127.0.0.1:{port}" in log
        assert f"Open http://localhost:{port}/setup and enter this one-time code" in log
        assert 'href="/setup"' in home.text

    data = tmp_path / "data"
    assert (data / "hearth.db").is_file()
    key = data / "secret_key"
    assert len(key.read_text().strip()) >= 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (data / "uploads").is_dir()
    with sqlite3.connect(data / "hearth.db") as connection:
        [(version,)] = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert version == head_revision()
    assert {"users", "groups", "memberships"} <= tables


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    env = clean_env()
    port = free_port()
    create_user(tmp_path, env, "alice")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        with serve(tmp_path, env, port):
            page = client.get("/login")
            match = CSRF_RE.search(page.text)
            assert match
            response = client.post(
                "/login",
                data={"login": "alice", "password": PASSWORD, "csrf_token": match.group(1)},
            )
            assert response.status_code == 303
            assert client.get("/me/groups").status_code == 200
        with serve(tmp_path, env, port):
            assert client.get("/me/groups").status_code == 200
