"""Logging in and out: credentials, the session cookie, safe redirects, username rules,
and sessions that end when the password changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from server.config import Settings
from server.services.credentials import create_password_reset
from server.services.groups import GroupFields, create_group
from server.services.users import get_user
from tests.conftest import SettingsMaker
from tests.server.accounts import is_signed_in, page_without_token, signup_form
from tests.server.conftest import BrowserFactory
from tests.server.db_access import Snapshot
from tests.web import PASSWORD, WebClient

NEW_PASSWORD = "a brand new password"


async def test_login_and_logout(web: WebClient) -> None:
    await web.make_user("alice")
    assert not await is_signed_in(web)
    response = await web.post_form("/login", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "Welcome back, alice." in (await web.get("/")).text
    assert await is_signed_in(web)
    await web.logout()
    assert not await is_signed_in(web)


@pytest.mark.parametrize("login", ["ALICE", "@alice", "Alice@Example.org", " alice "])
async def test_login_by_username_or_email_in_any_case(web: WebClient, login: str) -> None:
    await web.make_user("alice")
    response = await web.post_form("/login", {"login": login, "password": PASSWORD})
    assert response.status_code == 303
    assert await is_signed_in(web)


@pytest.mark.parametrize(
    ("login", "password"),
    [("alice", "not the password"), ("nobody", PASSWORD), ("", ""), ("alice", "")],
)
async def test_bad_credentials_get_one_message(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]], login: str, password: str
) -> None:
    await web.make_user("alice")
    before = await snapshot()
    response = await web.post_form("/login", {"login": login, "password": password})
    assert response.status_code == 403
    assert "Wrong username or password." in response.text
    assert not await is_signed_in(web)
    assert await snapshot() == before


async def test_unknown_user_and_wrong_password_look_the_same(web: WebClient) -> None:
    await web.make_user("alice")
    wrong = await web.post_form("/login", {"login": "alice", "password": "not the password"})
    unknown = await web.post_form("/login", {"login": "alicia", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 403
    assert page_without_token(wrong) == page_without_token(unknown).replace("alicia", "alice")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/groups/new", "/groups/new"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
async def test_login_redirects_only_to_local_pages(
    web: WebClient, target: str, expected: str
) -> None:
    await web.make_user("alice")
    response = await web.post_form(
        "/login", {"login": "alice", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.headers["location"] == expected


async def test_members_only_page_sends_to_login_and_back(web: WebClient) -> None:
    response = await web.get("/groups/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/groups/new"
    page = await web.get("/login?next=/groups/new")
    assert 'name="next" value="/groups/new"' in page.text


async def test_logout_needs_post_and_the_form_token(web: WebClient) -> None:
    await web.login_as_new("alice")
    assert (await web.get("/logout")).status_code == 405
    assert (await web.post_form("/logout", with_csrf=False)).status_code == 403
    wrong = await web.client.post("/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    assert await is_signed_in(web)
    response = await web.post_form("/logout", csrf_from="/")
    assert response.status_code == 303
    assert not await is_signed_in(web)


def cookie_attributes(response: httpx.Response) -> tuple[str, set[str]]:
    """The session cookie's Set-Cookie header and its lowercase attributes."""
    headers = [h for h in response.headers.get_list("set-cookie") if "hearth_session=" in h]
    assert len(headers) == 1, headers
    attributes = {part.strip().lower() for part in headers[0].split(";")[1:]}
    return headers[0], attributes


async def test_session_cookie_is_httponly_and_lax(web: WebClient) -> None:
    await web.make_user("alice")
    response = await web.post_form("/login", {"login": "alice", "password": PASSWORD})
    _, attributes = cookie_attributes(response)
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes


async def test_session_cookie_is_secure_over_https(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    settings: Settings = settings_for(instance={"domain": "town.example", "scheme": "https"})
    web = await browser_for(settings)
    await web.make_user("alice")
    response = await web.post_form("/login", {"login": "alice", "password": PASSWORD})
    _, attributes = cookie_attributes(response)
    assert {"httponly", "samesite=lax", "secure"} <= attributes
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert await is_signed_in(web)


async def test_a_new_password_signs_out_other_browsers(
    web: WebClient, second_browser: WebClient, run_in_db: Callable[..., Any]
) -> None:
    await web.login_as_new("alice")
    await second_browser.login("alice")
    assert await is_signed_in(second_browser)

    async def reset_link(session: Any) -> str:
        return await create_password_reset(session, await get_user(session, "alice"))

    token = await run_in_db(reset_link)
    response = await web.post_form(
        f"/reset/{token}", {"password": NEW_PASSWORD}, csrf_from=f"/reset/{token}"
    )
    assert response.status_code == 303
    assert await is_signed_in(web)
    assert not await is_signed_in(second_browser)
    old_password = {"login": "alice", "password": PASSWORD}
    assert (await second_browser.post_form("/login", old_password)).status_code == 403
    await second_browser.login("alice", NEW_PASSWORD)
    assert await is_signed_in(second_browser)


async def test_a_forged_session_cookie_is_ignored(web: WebClient) -> None:
    await web.login_as_new("alice")
    value = web.client.cookies["hearth_session"]
    forged = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    web.client.cookies = httpx.Cookies({"hearth_session": forged})
    assert not await is_signed_in(web)
    web.client.cookies = httpx.Cookies({"hearth_session": value})
    assert await is_signed_in(web)


# Usernames and group slugs share one namespace and the same rules.


@pytest.mark.parametrize(
    ("username", "status", "message"),
    [
        ("admin", 400, "is reserved"),
        ("new", 400, "is reserved"),
        ("api", 400, "is reserved"),
        ("a", 400, "between 2 and 30"),
        ("x" * 31, 400, "between 2 and 30"),
        ("bad name", 400, "lowercase letters"),
        ("-bob", 400, "lowercase letters"),
        ("bob-", 400, "lowercase letters"),
        ("bob!", 400, "lowercase letters"),
        ("café", 400, "lowercase letters"),
        ("", 400, "between 2 and 30"),
        ("alice", 409, "already taken"),
        ("ALICE", 409, "already taken"),
        ("club", 409, "already taken"),
    ],
)
async def test_signup_username_rules(
    web: WebClient,
    run_in_db: Callable[..., Any],
    snapshot: Callable[[], Awaitable[Snapshot]],
    username: str,
    status: int,
    message: str,
) -> None:
    alice = await web.make_user("alice")

    async def make_club(session: Any) -> None:
        await create_group(session, "club", GroupFields(name="Club"), alice)

    await run_in_db(make_club)
    before = await snapshot()
    response = await web.post_form("/signup", signup_form(username, "new@example.org"))
    assert response.status_code == status
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert await snapshot() == before
    assert not await is_signed_in(web)


@pytest.mark.parametrize("username", ["bo", "bob_", "b0b-the-builder", "x" * 30, "@Bob"])
async def test_signup_accepts_good_usernames(web: WebClient, username: str) -> None:
    response = await web.post_form("/signup", signup_form(username, "bob@example.org"))
    assert response.status_code == 303, response.text
    handle = username.lstrip("@").lower()
    assert (await web.get(f"/users/{handle}")).status_code == 200


@pytest.mark.parametrize(
    ("email", "status", "message"),
    [
        ("ALICE@example.org", 409, "already exists"),
        ("not-an-email", 400, "valid email"),
        ("", 400, "valid email"),
    ],
)
async def test_signup_email_rules(
    web: WebClient,
    snapshot: Callable[[], Awaitable[Snapshot]],
    email: str,
    status: int,
    message: str,
) -> None:
    await web.make_user("alice")
    before = await snapshot()
    response = await web.post_form("/signup", signup_form("bob", email))
    assert response.status_code == status
    assert message in response.text
    assert await snapshot() == before


async def test_signup_password_must_be_long_enough(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    before = await snapshot()
    response = await web.post_form("/signup", {**signup_form("bob"), "password": "short"})
    assert response.status_code == 400
    assert "at least 10 characters" in response.text
    assert 'value="bob"' in response.text
    assert 'value="short"' not in response.text
    assert await snapshot() == before
