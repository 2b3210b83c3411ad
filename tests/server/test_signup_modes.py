"""Sign-up in each registration mode: open, approval, invite and closed."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.db import utcnow
from server.models import Invite
from tests.conftest import SettingsMaker
from tests.server.accounts import is_signed_in, signup_form
from tests.server.conftest import BrowserFactory
from tests.server.db_access import run_in, take_snapshot
from tests.web import PASSWORD, WebClient

INVITE_RE = re.compile(r"/signup\?invite=([A-Za-z0-9_-]+)")


async def instance_with(
    registration: str, settings_for: SettingsMaker, browser_for: BrowserFactory
) -> tuple[WebClient, WebClient]:
    """A visitor's browser and a signed-in instance admin's browser on an instance whose
    config file sets ``registration``."""
    settings = settings_for(instance={"registration": registration})
    visitor = await browser_for(settings)
    admin = await browser_for(settings, visitor.app)
    await admin.login_as_new("root", is_admin=True)
    return visitor, admin


async def test_open_signup_signs_in_at_once(web: WebClient) -> None:
    page = await web.get("/signup")
    assert page.status_code == 200
    assert 'action="/signup"' in page.text
    response = await web.post_form("/signup", signup_form("bob", display_name="Bob"))
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "Welcome to Hearth, Bob!" in (await web.get("/")).text
    assert await is_signed_in(web)
    assert (await web.get("/signup")).headers["location"] == "/"


async def test_approval_signup_waits_for_an_admin(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    visitor, admin = await instance_with("approval", settings_for, browser_for)
    page = await visitor.get("/signup")
    assert "An admin reviews each new account" in page.text
    assert 'name="reason"' in page.text

    response = await visitor.post_form(
        "/signup", signup_form("bob", reason="I run the repair café")
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "An admin will review your request" in (await visitor.get("/login")).text
    assert not await is_signed_in(visitor)

    refused = await visitor.post_form("/login", {"login": "bob", "password": PASSWORD})
    assert refused.status_code == 403
    assert "<p>Your account is waiting for an admin's approval.</p>" in html.unescape(refused.text)
    assert "Please check the form" not in refused.text  # nothing is wrong with what they typed
    assert not await is_signed_in(visitor)

    signups = await admin.get("/admin/signups")
    assert 'action="/admin/users/bob"' in signups.text
    assert "I run the repair café" in signups.text
    approved = await admin.post_form(
        "/admin/users/bob",
        {"action": "approve", "back": "/admin/signups"},
        csrf_from="/admin/signups",
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == "/admin/signups"
    assert 'action="/admin/users/bob"' not in (await admin.get("/admin/signups")).text

    await visitor.login("bob")
    assert await is_signed_in(visitor)


async def test_approval_from_the_users_page_and_rejection(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    visitor, admin = await instance_with("approval", settings_for, browser_for)
    await visitor.post_form("/signup", signup_form("bob"))
    await visitor.post_form("/signup", signup_form("carol"))
    pending = await admin.get("/admin/users?state=pending")
    assert 'action="/admin/users/bob"' in pending.text
    assert 'action="/admin/users/carol"' in pending.text
    assert 'action="/admin/users/root"' not in pending.text

    await admin.post_form("/admin/users/bob", {"action": "approve"}, csrf_from="/admin/users")
    await admin.post_form("/admin/users/carol", {"action": "reject"}, csrf_from="/admin/users")
    await visitor.login("bob")
    await visitor.logout()
    refused = await visitor.post_form("/login", {"login": "carol", "password": PASSWORD})
    assert refused.status_code == 403
    assert "This account cannot sign in." in refused.text


async def test_invite_signup_needs_a_working_link(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    visitor, admin = await instance_with("invite", settings_for, browser_for)
    page = await visitor.get("/signup")
    assert "Sign-up here is by invitation" in page.text
    assert 'action="/signup"' not in page.text
    before = await take_snapshot(runtime_of(visitor.app).engine)
    refused = await visitor.post_form("/signup", signup_form("bob"))
    assert refused.status_code == 403
    assert "Sign-up here is by invitation" in refused.text
    forged = await visitor.post_form("/signup", signup_form("bob", invite="not-a-code"))
    assert forged.status_code == 400
    assert "invalid, used up or expired" in forged.text
    assert await take_snapshot(runtime_of(visitor.app).engine) == before

    created = await admin.post_form("/admin/invites", {"max_uses": "1"}, csrf_from="/admin/invites")
    assert created.status_code == 303
    invites = await admin.get("/admin/invites")
    match = INVITE_RE.search(invites.text)
    assert match, invites.text
    code = match.group(1)
    assert "0 of 1 used" in invites.text

    form = await visitor.get(f"/signup?invite={code}")
    assert f'name="invite" value="{code}"' in form.text
    joined = await visitor.post_form("/signup", signup_form("bob", invite=code))
    assert joined.status_code == 303
    assert await is_signed_in(visitor)
    await visitor.logout()

    again = await visitor.post_form("/signup", signup_form("carol", invite=code))
    assert again.status_code == 400
    assert "invalid, used up or expired" in again.text
    assert "No usable invite links" in (await admin.get("/admin/invites")).text


async def test_a_failed_signup_does_not_use_up_the_invite(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    visitor, admin = await instance_with("invite", settings_for, browser_for)
    await admin.post_form("/admin/invites", {"max_uses": "1"}, csrf_from="/admin/invites")
    match = INVITE_RE.search((await admin.get("/admin/invites")).text)
    assert match
    code = match.group(1)
    bad = await visitor.post_form("/signup", signup_form("admin", invite=code))
    assert bad.status_code == 400
    assert f'name="invite" value="{code}"' in bad.text
    good = await visitor.post_form("/signup", signup_form("bob", invite=code))
    assert good.status_code == 303


async def test_an_invite_for_several_people_and_an_expired_invite(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    visitor, admin = await instance_with("invite", settings_for, browser_for)
    await admin.post_form("/admin/invites", {"max_uses": "2"}, csrf_from="/admin/invites")
    match = INVITE_RE.search((await admin.get("/admin/invites")).text)
    assert match
    code = match.group(1)
    for name in ("bob", "carol"):
        response = await visitor.post_form("/signup", signup_form(name, invite=code))
        assert response.status_code == 303
        await visitor.logout()
    third = await visitor.post_form("/signup", signup_form("dave", invite=code))
    assert third.status_code == 400

    await admin.post_form("/admin/invites", {"max_uses": "5"}, csrf_from="/admin/invites")
    match = INVITE_RE.search((await admin.get("/admin/invites")).text)
    assert match
    fresh = match.group(1)
    engine = runtime_of(visitor.app).engine

    async def expire(session: Any) -> None:
        invite = (await session.exec(select(Invite).where(Invite.code == fresh))).one()
        invite.expires_at = utcnow() - timedelta(seconds=1)
        session.add(invite)

    await run_in(engine, expire)
    expired = await visitor.post_form("/signup", signup_form("dave", invite=fresh))
    assert expired.status_code == 400
    assert "invalid, used up or expired" in expired.text


async def test_invite_form_rejects_bad_counts(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    _, admin = await instance_with("invite", settings_for, browser_for)
    for raw in ("0", "101", "-1", "many", ""):
        response = await admin.post_form(
            "/admin/invites", {"max_uses": raw}, csrf_from="/admin/invites"
        )
        assert response.status_code == 400, raw
    assert "No usable invite links" in (await admin.get("/admin/invites")).text


async def test_closed_signup_is_refused_with_a_reason(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    visitor, _ = await instance_with("closed", settings_for, browser_for)
    page = await visitor.get("/signup")
    assert "not taking new accounts" in page.text
    assert 'action="/signup"' not in page.text
    assert 'href="/signup"' not in (await visitor.get("/login")).text
    before = await take_snapshot(runtime_of(visitor.app).engine)
    response = await visitor.post_form("/signup", signup_form("bob"))
    assert response.status_code == 403
    assert "not taking new accounts" in response.text
    assert await take_snapshot(runtime_of(visitor.app).engine) == before
