"""Joining and leaving groups, the members page, approvals and roles."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

import httpx

from server.config import Settings
from tests.server.conftest import BrowserFactory
from tests.server.db_access import Snapshot
from tests.web import WebClient


async def make_club(web: WebClient, mode: str = "open") -> None:
    await web.login_as_new("alice")
    response = await web.create_group("club", "Club", membership_mode=mode)
    assert response.status_code == 303


async def person(
    browser_for: BrowserFactory, settings: Settings, web: WebClient, name: str
) -> WebClient:
    """Another signed-in person on the same instance as ``web``."""
    browser = await browser_for(settings, web.app)
    await browser.login_as_new(name)
    return browser


async def join(browser: WebClient) -> httpx.Response:
    return await browser.post_form("/groups/club/join", csrf_from="/groups/club")


async def leave(browser: WebClient) -> httpx.Response:
    return await browser.post_form("/groups/club/leave", csrf_from="/groups/club")


async def act(admin: WebClient, username: str, **fields: str) -> httpx.Response:
    return await admin.post_form(
        f"/groups/club/members/{username}", fields, csrf_from="/groups/club/members"
    )


def member_count(page: httpx.Response) -> str:
    for count in ("1 member<", "2 members<", "3 members<"):
        if count in page.text:
            return count.rstrip("<")
    raise AssertionError("no member count on the page")


async def test_join_an_open_group_and_leave(
    web: WebClient, browser_for: BrowserFactory, settings: Settings
) -> None:
    await make_club(web)
    bob = await person(browser_for, settings, web, "bob")
    page = await bob.get("/groups/club")
    assert ">Join</button>" in page.text
    assert member_count(page) == "1 member"

    joined = await join(bob)
    assert joined.status_code == 303
    assert joined.headers["location"] == "/groups/club"
    page = await bob.get("/groups/club")
    assert "You are now a member of Club." in page.text
    assert "You are a member" in page.text
    assert member_count(page) == "2 members"
    assert 'href="/groups/club"' in (await bob.get("/me/groups")).text

    again = await join(bob)
    assert again.status_code == 409
    assert "already a member" in again.text

    assert (await leave(bob)).status_code == 303
    page = await bob.get("/groups/club")
    assert "You left Club." in page.text
    assert member_count(page) == "1 member"
    not_member = await leave(bob)
    assert not_member.status_code == 404
    assert "not a member" in not_member.text


async def test_ask_to_join_an_approval_group(
    web: WebClient, browser_for: BrowserFactory, settings: Settings
) -> None:
    await make_club(web, "approval")
    bob = await person(browser_for, settings, web, "bob")
    assert ">Ask to join</button>" in (await bob.get("/groups/club")).text
    assert (await join(bob)).status_code == 303
    page = await bob.get("/groups/club")
    assert "Your request to join was sent" in page.text
    assert "Request sent" in page.text
    assert member_count(page) == "1 member"
    assert (await bob.get("/groups/club/members")).status_code == 403

    members = await web.get("/groups/club/members")
    assert "Waiting for approval (1)" in members.text
    assert (await act(web, "bob", action="approve")).status_code == 303
    assert "Waiting for approval" not in (await web.get("/groups/club/members")).text
    page = await bob.get("/groups/club")
    assert "You are a member" in page.text
    assert member_count(page) == "2 members"
    assert (await bob.get("/groups/club/members")).status_code == 200

    missing = await act(web, "bob", action="approve")
    assert missing.status_code == 404
    assert "no pending request" in missing.text


async def test_decline_and_cancel_a_request(
    web: WebClient, browser_for: BrowserFactory, settings: Settings
) -> None:
    await make_club(web, "approval")
    bob = await person(browser_for, settings, web, "bob")
    carol = await person(browser_for, settings, web, "carol")
    await join(bob)
    await join(carol)
    assert (await act(web, "bob", action="decline")).status_code == 303
    assert ">Ask to join</button>" in (await bob.get("/groups/club")).text
    assert "Cancel request" in (await carol.get("/groups/club")).text
    assert (await leave(carol)).status_code == 303
    assert "Waiting for approval" not in (await web.get("/groups/club/members")).text


async def test_an_invite_only_group_refuses_to_be_joined(
    web: WebClient,
    browser_for: BrowserFactory,
    settings: Settings,
    snapshot: Callable[[], Awaitable[Snapshot]],
) -> None:
    await make_club(web, "invite")
    bob = await person(browser_for, settings, web, "bob")
    page = await bob.get("/groups/club")
    assert "Ask a member for an invitation" in page.text
    assert 'action="/groups/club/join"' not in page.text
    before = await snapshot()
    refused = await join(bob)
    assert refused.status_code == 403
    assert "by invitation only" in refused.text
    assert await snapshot() == before


async def test_members_page_is_for_members_only(
    web: WebClient, browser_for: BrowserFactory, settings: Settings
) -> None:
    await make_club(web)
    anonymous = await browser_for(settings, web.app)
    response = await anonymous.get("/groups/club/members")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/groups/club/members"
    eve = await person(browser_for, settings, web, "eve")
    assert (await eve.get("/groups/club/members")).status_code == 403
    assert 'href="/groups/club/members"' not in (await eve.get("/groups/club")).text
    await join(eve)
    page = await eve.get("/groups/club/members")
    assert page.status_code == 200
    assert "@alice" in page.text and "@eve" in page.text
    assert 'name="role"' not in page.text


async def test_roles_decide_who_approves_and_who_manages_roles(
    web: WebClient,
    browser_for: BrowserFactory,
    settings: Settings,
    snapshot: Callable[[], Awaitable[Snapshot]],
) -> None:
    await make_club(web, "approval")
    bob = await person(browser_for, settings, web, "bob")
    carol = await person(browser_for, settings, web, "carol")
    await join(bob)
    await act(web, "bob", action="approve")
    await join(carol)

    before = await snapshot()
    assert (await act(bob, "carol", action="approve")).status_code == 403
    assert (await act(bob, "alice", action="role", role="member")).status_code == 403
    assert (await act(bob, "bob", action="role", role="admin")).status_code == 403
    assert await snapshot() == before

    assert (await act(web, "bob", action="role", role="moderator")).status_code == 303
    members = await bob.get("/groups/club/members")
    assert "Waiting for approval (1)" in members.text
    assert 'name="role"' not in members.text
    assert (await act(bob, "carol", action="approve")).status_code == 303
    assert (await act(bob, "carol", action="role", role="moderator")).status_code == 403

    assert (await act(web, "bob", action="role", role="admin")).status_code == 303
    assert (await act(bob, "carol", action="role", role="moderator")).status_code == 303
    assert "You are a moderator" in (await carol.get("/groups/club")).text


async def test_bad_role_actions_are_refused(web: WebClient) -> None:
    await make_club(web)
    assert (await act(web, "alice", action="role", role="owner")).status_code == 400
    assert (await act(web, "alice", action="promote")).status_code == 400
    assert (await act(web, "nobody", action="role", role="member")).status_code == 404


async def test_the_last_admin_cannot_step_down_or_leave(
    web: WebClient,
    browser_for: BrowserFactory,
    settings: Settings,
    snapshot: Callable[[], Awaitable[Snapshot]],
) -> None:
    await make_club(web)
    bob = await person(browser_for, settings, web, "bob")
    await join(bob)
    before = await snapshot()
    demoted = await act(web, "alice", action="role", role="member")
    assert demoted.status_code == 409
    assert "at least one admin" in demoted.text
    # The group page offers no "Leave" to its only admin, and says what to do instead.
    page = html.unescape((await web.get("/groups/club")).text)
    assert 'action="/groups/club/leave"' not in page
    assert "You are the only admin. To leave, first make another member admin" in page
    # A leave sent anyway is refused with the explanation on the group page (not a bare 409).
    left = await leave(web)
    assert left.status_code == 303 and left.headers["location"] == "/groups/club"
    explained = html.unescape((await web.get("/groups/club")).text)
    assert "You are the group's only admin, so you cannot leave yet" in explained
    assert await snapshot() == before

    assert (await act(web, "bob", action="role", role="admin")).status_code == 303
    assert (await act(web, "alice", action="role", role="member")).status_code == 303
    assert "You are a member" in (await web.get("/groups/club")).text
    assert (await act(bob, "bob", action="role", role="member")).status_code == 409
    assert (await leave(web)).status_code == 303


async def test_a_deleted_group_takes_its_memberships(
    web: WebClient, browser_for: BrowserFactory, settings: Settings
) -> None:
    await make_club(web)
    bob = await person(browser_for, settings, web, "bob")
    await join(bob)
    assert 'href="/groups/club"' in (await bob.get("/me/groups")).text
    await web.post_form("/groups/club/delete", {"confirm": "club"}, csrf_from="/groups/club/edit")
    assert 'href="/groups/club"' not in (await bob.get("/me/groups")).text
