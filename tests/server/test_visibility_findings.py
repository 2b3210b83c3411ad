"""Smaller findings of issue #15 (item 6): members see what the group page shows them,
outsiders are not told that members-only meetups exist, and only IANA zone names pass."""

from __future__ import annotations

from typing import Any

import pytest

from server.config import Settings
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.events.conftest import FORM
from tests.server.conftest import BrowserFactory
from tests.web import WebClient


async def _token(run_in_db: Any, username: str) -> dict[str, str]:
    async def make(session: Any) -> str:
        return await create_api_token(session, await get_user(session, username))

    return {"Authorization": f"Bearer {await run_in_db(make)}"}


async def _members_only_meetup(web: WebClient) -> str:
    await web.login_as_new("owner")
    assert (await web.create_group("club", "Club")).status_code == 303
    response = await web.post_form(
        "/groups/club/events/new", {**FORM, "visibility": "members"}, csrf_from="/groups/club"
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


async def _member(browser_for: BrowserFactory, settings: Settings, app: Any) -> WebClient:
    member = await browser_for(settings, app)
    await member.login_as_new("mia")
    joined = await member.post_form("/groups/club/join", csrf_from="/groups/club")
    assert joined.status_code == 303, joined.text
    return member


async def test_the_api_shows_a_members_only_meetup_to_its_members_only(
    web: WebClient, run_in_db: Any, browser_for: BrowserFactory, settings: Settings, app: Any
) -> None:
    event_id = await _members_only_meetup(web)
    url = f"/api/v1/events/{event_id}"
    owner = await web.client.get(url, headers=await _token(run_in_db, "owner"))
    assert owner.status_code == 200 and owner.json()["visibility"] == "members"
    await _member(browser_for, settings, app)
    assert (await web.client.get(url, headers=await _token(run_in_db, "mia"))).status_code == 200
    await web.make_user("stranger")
    stranger = await web.client.get(url, headers=await _token(run_in_db, "stranger"))
    assert stranger.status_code == 404
    assert (await web.client.get(url)).status_code == 404
    bad_token = await web.client.get(url, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401


async def test_the_check_in_api_does_not_tell_outsiders_a_members_only_meetup_exists(
    web: WebClient, run_in_db: Any, browser_for: BrowserFactory, settings: Settings, app: Any
) -> None:
    event_id = await _members_only_meetup(web)
    await web.make_user("stranger")
    for path in (f"/api/v1/events/{event_id}/check-in", "/api/v1/events/999999/check-in"):
        response = await web.client.post(
            path, json={"code": "123456"}, headers=await _token(run_in_db, "stranger")
        )
        assert response.status_code == 404, (path, response.text)
    await _member(browser_for, settings, app)
    member = await web.client.post(
        f"/api/v1/events/{event_id}/check-in",
        json={"code": "123456"},
        headers=await _token(run_in_db, "mia"),
    )
    assert member.status_code in (400, 403), member.text  # told why: not during the meetup
    attendance = await web.client.get(
        f"/api/v1/events/{event_id}/check-ins", headers=await _token(run_in_db, "stranger")
    )
    assert attendance.status_code == 404


async def test_a_followers_only_post_page_opens_for_a_member(
    web: WebClient, browser_for: BrowserFactory, settings: Settings, app: Any
) -> None:
    await web.login_as_new("owner")
    assert (await web.create_group("club", "Club")).status_code == 303
    posted = await web.post_form(
        "/groups/club/posts",
        {"content": "Only for followers", "visibility": "followers"},
        csrf_from="/groups/club",
    )
    assert posted.status_code == 303
    member = await _member(browser_for, settings, app)
    group_page = await member.get("/groups/club")
    assert "Only for followers" in group_page.text
    link = group_page.text.split('href="/groups/club/posts/', 1)[1].split('"', 1)[0]
    page = await member.get(f"/groups/club/posts/{link}")
    assert page.status_code == 200 and "Only for followers" in page.text
    outsider = await browser_for(settings, app)
    assert (await outsider.get(f"/groups/club/posts/{link}")).status_code == 404


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "right/UTC"])
async def test_only_iana_zone_names_are_accepted(web: WebClient, run_in_db: Any, name: str) -> None:
    await web.login_as_new("owner")
    assert (await web.create_group("club", "Club")).status_code == 303
    form = await web.post_form(
        "/groups/club/events/new", {**FORM, "timezone": name}, csrf_from="/groups/club"
    )
    assert form.status_code == 400 and "not a known time zone" in form.text
    api = await web.client.post(
        "/api/v1/groups/club/events",
        json={"title": "Chess", "start": "2030-05-04T14:00", "timezone": name},
        headers=await _token(run_in_db, "owner"),
    )
    assert api.status_code == 400, api.text
    fine = await web.client.post(
        "/api/v1/groups/club/events",
        json={"title": "Chess", "start": "2030-05-04T14:00", "timezone": "UTC"},
        headers=await _token(run_in_db, "owner"),
    )
    assert fine.status_code == 201, fine.text
