"""Every form POST route refuses a request without this session's CSRF token, and changes
nothing: the routes are taken from the app itself, so a new form route is covered at once."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.routing import Route

from server.services.credentials import create_password_reset
from server.services.groups import get_group
from server.services.membership import join_group
from server.services.users import get_user
from tests.server.accounts import is_signed_in
from tests.server.db_access import Snapshot
from tests.web import WebClient

PARAM_RE = re.compile(r"{(\w+)(?::\w+)?}")

#: Fields that would make each form do something, were the token there.
FIELDS = {
    "confirm": "club",
    "name": "Changed",
    "slug": "another",
    "summary": "changed",
    "action": "approve",
    "role": "admin",
    "content": "An announcement",
    "visibility": "public",
    "login": "alice",
    "password": "a different password",
    "username": "mallory",
    "email": "mallory@example.org",
    "max_uses": "3",
    "registration": "closed",
    "handle": "@someone@elsewhere.example",
    "actor": "https://elsewhere.example/users/someone",
}


def form_post_paths(app: Any) -> list[str]:
    """Paths of the app's routes that take form POSTs (not the JSON API, not inboxes)."""
    return sorted(
        route.path
        for route in app.routes
        if isinstance(route, Route)
        and "POST" in (route.methods or set())
        and not route.path.startswith("/api/")
        and not route.path.endswith("/inbox")
    )


def fill(path: str, values: dict[str, str]) -> str:
    return PARAM_RE.sub(lambda match: values.get(match.group(1), "1"), path)


async def test_every_form_post_needs_the_csrf_token(
    web: WebClient,
    second_browser: WebClient,
    run_in_db: Callable[..., Any],
    snapshot: Callable[[], Awaitable[Snapshot]],
) -> None:
    await web.login_as_new("alice", is_admin=True)
    assert (await web.create_group("club", membership_mode="approval")).status_code == 303
    posted = await web.post_form(
        "/groups/club/posts", {"content": "Hello", "visibility": "public"}, csrf_from="/groups/club"
    )
    assert posted.status_code == 303
    bob = await second_browser.make_user("bob")
    page = await web.get("/groups/club")
    post_id = re.search(r"/groups/club/posts/(\d+)", page.text)
    assert post_id

    async def prepare(session: Any) -> str:
        await join_group(session, await get_group(session, "club"), bob)
        return await create_password_reset(session, await get_user(session, "bob"))

    token = await run_in_db(prepare)
    values = {"slug": "club", "username": "bob", "post_id": post_id.group(1), "token": token}
    paths = form_post_paths(web.app)
    assert len(paths) >= 20, paths
    other_session_token = await second_browser.csrf("/login")
    before = await snapshot()

    for path in paths:
        url = fill(path, values)
        missing = await web.client.post(url, data=FIELDS)
        assert missing.status_code == 403, (path, missing.status_code)
        assert "security token is missing" in missing.text, path
        wrong = await web.client.post(url, data={**FIELDS, "csrf_token": "forged"})
        assert wrong.status_code == 403, (path, wrong.status_code)
        assert "security token is wrong" in wrong.text, path
        stolen = await web.client.post(url, data={**FIELDS, "csrf_token": other_session_token})
        assert stolen.status_code == 403, (path, stolen.status_code)

    assert await snapshot() == before
    assert await is_signed_in(web)
    assert (await web.get(f"/reset/{token}")).status_code == 200


async def test_a_multipart_form_needs_the_token_too(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    await web.login_as_new("alice")
    before = await snapshot()
    response = await web.client.post(
        "/groups/new",
        data={"slug": "club", "name": "Club"},
        files={"avatar": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")},
    )
    assert response.status_code == 403
    assert await snapshot() == before


async def test_a_token_is_bound_to_its_session(web: WebClient, second_browser: WebClient) -> None:
    await web.make_user("alice")
    token = await second_browser.csrf("/login")
    response = await web.client.post(
        "/login", data={"login": "alice", "password": "a long enough password", "csrf_token": token}
    )
    assert response.status_code == 403
    assert not await is_signed_in(web)
