"""Admin pages: only instance admins get in; settings changes show on the pages; invalid
values save nothing; suspending an account ends its sessions and its API tokens."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.routing import Route

from server.config import Settings
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.server.accounts import is_signed_in
from tests.server.conftest import BrowserFactory
from tests.server.db_access import Snapshot
from tests.web import PASSWORD, WebClient


def admin_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route under /admin."""
    return sorted(
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/admin")
        for method in (route.methods or set()) - {"HEAD"}
    )


async def save_settings(admin: WebClient, **values: str) -> Any:
    current = {
        "name": "Hearth",
        "description": "Groups and meetups for our neighborhood.",
        "rules": "",
        "contact_email": "",
        "registration": "open",
    }
    return await admin.post_form("/admin", {**current, **values}, csrf_from="/admin")


async def test_non_admins_get_403_on_every_admin_page(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    await web.make_user("bob")
    await web.login_as_new("eve")
    routes = admin_routes(web.app)
    assert ("GET", "/admin") in routes and ("POST", "/admin/users/{username}") in routes
    before = await snapshot()
    for method, path in routes:
        url = path.replace("{username}", "bob")
        if method == "GET":
            response = await web.get(url)
        else:
            fields = {"action": "suspend", "name": "Mine", "max_uses": "5"}
            response = await web.post_form(url, fields, csrf_from="/")
        assert response.status_code == 403, (method, path)
        assert "Only the instance's admins" in response.text.replace("&#39;", "'"), path
    assert await snapshot() == before


async def test_anonymous_visitors_are_sent_to_login(
    web: WebClient,
) -> None:
    for method, path in admin_routes(web.app):
        if method == "GET":
            response = await web.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == f"/login?next={path}"


async def test_admins_see_every_admin_page(web: WebClient) -> None:
    await web.login_as_new("root", is_admin=True)
    for method, path in admin_routes(web.app):
        if method == "GET":
            assert (await web.get(path)).status_code == 200, path


async def test_settings_show_on_the_pages(
    web: WebClient, browser_for: BrowserFactory, settings: Settings
) -> None:
    await web.login_as_new("root", is_admin=True)
    response = await save_settings(
        web,
        name="Riverside Commons",
        description="Our *river* side",
        rules="1. Be **kind**",
        contact_email="admins@riverside.example",
        registration="closed",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    assert "Instance settings saved." in (await web.get("/admin")).text

    visitor = await browser_for(settings, web.app)
    home = await visitor.get("/")
    assert "<title>Riverside Commons</title>" in home.text
    assert "<em>river</em>" in home.text
    about = await visitor.get("/about")
    assert "<strong>kind</strong>" in about.text
    assert "mailto:admins@riverside.example" in about.text
    assert "This instance is not taking new accounts." in about.text
    assert "not taking new accounts" in (await visitor.get("/signup")).text
    refused = await visitor.post_form("/signup", {"username": "bob", "email": "b@x.example"})
    assert refused.status_code == 403
    nodeinfo = (await visitor.get("/nodeinfo/2.1")).json()
    assert nodeinfo["openRegistrations"] is False
    assert nodeinfo["metadata"]["nodeName"] == "Riverside Commons"


async def test_audit_log_records_old_and_new_of_what_changed(web: WebClient) -> None:
    await web.login_as_new("root", is_admin=True)
    assert (await save_settings(web)).status_code == 303  # the form as it is: nothing changed
    assert (await save_settings(web, name="Riverside", registration="approval")).status_code == 303
    log = html.unescape((await web.get("/admin/audit")).text)
    assert log.count("instance.settings") == 1
    assert "name, registration" in log
    assert "name: “Hearth” → “Riverside”; registration: “open” → “approval”" in log
    row = log.split("instance.settings", 1)[1].split("</tr>", 1)[0]
    assert "description" not in row and "rules" not in row and "contact" not in row


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": ""}, "1 to 80 characters"),
        ({"name": "x" * 81}, "1 to 80 characters"),
        ({"registration": "sometimes"}, "Registration is one of"),
        ({"contact_email": "nobody"}, "Enter an email address"),
        ({"rules": "x" * 5001}, "under 5000 characters"),
        ({"description": "x" * 5001}, "under 5000 characters"),
    ],
)
async def test_invalid_settings_save_nothing(
    web: WebClient,
    snapshot: Callable[[], Awaitable[Snapshot]],
    values: dict[str, str],
    message: str,
) -> None:
    await web.login_as_new("root", is_admin=True)
    before = await snapshot()
    response = await save_settings(
        web, **{"rules": "New rules", "registration": "closed", **values}
    )
    assert response.status_code == 400
    assert message in response.text
    assert await snapshot() == before
    assert "New rules" not in (await web.get("/about")).text
    assert 'href="/signup"' in (await web.get("/login")).text


async def test_suspending_a_user_ends_their_session_and_tokens(
    web: WebClient,
    browser_for: BrowserFactory,
    settings: Settings,
    run_in_db: Callable[..., Any],
) -> None:
    await web.login_as_new("root", is_admin=True)
    bob = await browser_for(settings, web.app)
    await bob.login_as_new("bob")

    async def token(session: Any) -> str:
        return await create_api_token(session, await get_user(session, "bob"))

    bearer = {"Authorization": f"Bearer {await run_in_db(token)}"}
    assert (await bob.get("/api/v1/me", headers=bearer)).status_code == 200

    users = await web.get("/admin/users")
    assert 'action="/admin/users/bob"' in users.text
    suspended = await web.post_form(
        "/admin/users/bob", {"action": "suspend"}, csrf_from="/admin/users"
    )
    assert suspended.status_code == 303
    assert suspended.headers["location"] == "/admin/users"

    assert not await is_signed_in(bob)
    refused = await bob.post_form("/login", {"login": "bob", "password": PASSWORD})
    assert refused.status_code == 403
    assert "This account cannot sign in." in refused.text
    assert (await bob.get("/api/v1/me", headers=bearer)).status_code == 401
    assert (await bob.get("/users/bob")).status_code == 404

    await web.post_form("/admin/users/bob", {"action": "reactivate"}, csrf_from="/admin/users")
    await bob.login("bob")
    assert await is_signed_in(bob)
    assert (await bob.get("/api/v1/me", headers=bearer)).status_code == 200


async def test_admins_cannot_change_their_own_state_or_use_unknown_actions(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    await web.login_as_new("root", is_admin=True)
    await web.make_user("bob")
    before = await snapshot()
    own = await web.post_form("/admin/users/root", {"action": "suspend"}, csrf_from="/admin")
    assert own.status_code == 400
    assert "your own account" in own.text
    unknown = await web.post_form("/admin/users/bob", {"action": "delete"}, csrf_from="/admin")
    assert unknown.status_code == 400
    nobody = await web.post_form("/admin/users/nobody", {"action": "suspend"}, csrf_from="/admin")
    assert nobody.status_code == 404
    assert await snapshot() == before
    assert await is_signed_in(web)


async def test_user_action_redirects_only_inside_admin(web: WebClient) -> None:
    await web.login_as_new("root", is_admin=True)
    await web.make_user("bob")
    response = await web.post_form(
        "/admin/users/bob",
        {"action": "suspend", "back": "https://evil.example/"},
        csrf_from="/admin",
    )
    assert response.headers["location"] == "/admin/users"
