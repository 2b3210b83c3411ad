"""Two real ``hearth serve`` processes on 127.0.0.1 federate over real sockets: a user on one
finds a group on the other by handle, follows it, and receives its posts."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.servers import PASSWORD, clean_env, create_user, free_port, run_hearth, serve

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
WAIT_SECONDS = 30.0


def _env(port: int, name: str) -> dict[str, str]:
    return clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_INSTANCE_NAME=name,
        HEARTH_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true",
    )


def _login(client: httpx.Client, username: str) -> None:
    token = CSRF_RE.search(client.get("/login").text)
    assert token
    response = client.post(
        "/login", data={"login": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text


def _post_form(
    client: httpx.Client, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    token = CSRF_RE.search(client.get(page).text)
    assert token, f"no form on {page}"
    return client.post(action, data={**data, "csrf_token": token.group(1)})


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_follow_across_two_real_servers(tmp_path: Path) -> None:
    port_a, port_b = free_port(), free_port()
    dir_a, dir_b = tmp_path / "a", tmp_path / "b"
    dir_a.mkdir()
    dir_b.mkdir()
    env_a, env_b = _env(port_a, "Alpha"), _env(port_b, "Beta")
    create_user(dir_a, env_a, "alice")
    create_user(dir_b, env_b, "organizer")
    run_hearth(
        dir_b, env_b, "group", "create", "club", "--name", "Chess Club", "--owner", "organizer"
    )

    with (
        serve(dir_a, env_a, port_a) as a,
        serve(dir_b, env_b, port_b) as b,
        httpx.Client(base_url=a.base_url, timeout=10) as alice,
        httpx.Client(base_url=b.base_url, timeout=10) as organizer,
    ):
        _login(alice, "alice")
        _login(organizer, "organizer")
        followed = _post_form(alice, "/home", "/follow", {"handle": f"@club@{b.domain}"})
        assert followed.status_code == 303
        assert "Follow request sent" in alice.get("/home").text

        def accepted() -> bool:
            page = alice.get("/home").text
            return "Chess Club" in page and "waiting for approval" not in page

        _wait_for(accepted, "the group's Accept to reach server A")
        members = organizer.get(
            f"{b.base_url}/groups/club/followers?page=1",
            headers={"Accept": "application/activity+json"},
        ).json()
        assert members["orderedItems"] == [f"{a.base_url}/users/alice"]

        posted = _post_form(
            organizer,
            "/groups/club",
            "/groups/club/posts",
            {"content": "Tournament on **Saturday**", "visibility": "public"},
        )
        assert posted.status_code == 303
        _wait_for(
            lambda: "Tournament on <strong>Saturday</strong>" in alice.get("/home").text,
            "the group's post to reach alice's home page",
        )
