"""Groups in the web UI: handles, safe summaries, create/edit/delete and who may do what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.server.conftest import BrowserFactory
from tests.server.db_access import Snapshot
from tests.server.html_safety import HOSTILE_SUMMARIES, tags_of, unsafe_markup
from tests.web import WebClient


def between(html: str, start: str, end: str) -> str:
    """The part of a page between two markers."""
    assert start in html and end in html, (start, end)
    return html.split(start, 1)[1].split(end, 1)[0]


@pytest.mark.parametrize(
    ("slug", "handle"),
    [
        ("ab", "ab"),
        ("repair-cafe", "repair-cafe"),
        ("seed_swap", "seed_swap"),
        ("club2024", "club2024"),
        ("x" * 30, "x" * 30),
        ("Book-Club", "book-club"),
        ("  @Runners ", "runners"),
    ],
)
async def test_good_group_handles(web: WebClient, slug: str, handle: str) -> None:
    await web.login_as_new("alice")
    response = await web.create_group(slug, "A group")
    assert response.status_code == 303
    assert response.headers["location"] == f"/groups/{handle}"
    page = await web.get(f"/groups/{handle}")
    assert page.status_code == 200
    assert f"@{handle}@localhost:8000" in page.text


@pytest.mark.parametrize(
    ("slug", "status", "message"),
    [
        ("a", 400, "between 2 and 30"),
        ("x" * 31, 400, "between 2 and 30"),
        ("", 400, "between 2 and 30"),
        ("-club", 400, "lowercase letters"),
        ("club-", 400, "lowercase letters"),
        ("book club", 400, "lowercase letters"),
        ("café", 400, "lowercase letters"),
        ("клуб", 400, "lowercase letters"),
        ("club/x", 400, "lowercase letters"),
        ("new", 400, "is reserved"),
        ("admin", 400, "is reserved"),
        ("api", 400, "is reserved"),
        ("static", 400, "is reserved"),
        ("alice", 409, "already taken"),
        ("ALICE", 409, "already taken"),
    ],
)
async def test_bad_group_handles_are_refused(
    web: WebClient,
    snapshot: Callable[[], Awaitable[Snapshot]],
    slug: str,
    status: int,
    message: str,
) -> None:
    await web.login_as_new("alice")
    before = await snapshot()
    response = await web.create_group(slug, "A group", summary="kept")
    assert response.status_code == status
    assert message in response.text
    assert ">kept</textarea>" in response.text
    assert await snapshot() == before


async def test_a_group_handle_cannot_be_taken_twice(web: WebClient) -> None:
    await web.login_as_new("alice")
    assert (await web.create_group("club")).status_code == 303
    again = await web.create_group("Club")
    assert again.status_code == 409
    assert "already taken" in again.text


@pytest.mark.parametrize("summary", HOSTILE_SUMMARIES)
async def test_hostile_summaries_never_reach_the_page_or_the_api(
    web: WebClient, summary: str
) -> None:
    await web.login_as_new("alice")
    text = f"START-OF-SUMMARY\n\n{summary}\n\nEND-OF-SUMMARY"
    assert (await web.create_group("club", summary=text)).status_code == 303
    page = await web.get("/groups/club")
    assert unsafe_markup(page.text) == []
    shown = between(page.text, "<p>START-OF-SUMMARY</p>", "<p>END-OF-SUMMARY</p>")
    assert "<script" not in shown.lower()
    api = await web.get("/api/v1/groups/club")
    assert api.status_code == 200
    assert unsafe_markup(api.json()["summary_html"]) == []
    assert api.json()["summary"] == text
    edit = await web.get("/groups/club/edit")
    assert unsafe_markup(edit.text) == []


async def test_markdown_summaries_render(web: WebClient) -> None:
    await web.login_as_new("alice")
    summary = "We fix **things**. See [our wiki](https://wiki.example/repair).\n\nEND"
    assert (await web.create_group("club", summary=summary)).status_code == 303
    page = await web.get("/groups/club")
    shown = between(page.text, "<p>We fix", "<p>END</p>")
    assert "<strong>things</strong>" in shown
    links = [attrs for tag, attrs in tags_of(shown) if tag == "a"]
    assert links == [
        {"href": "https://wiki.example/repair", "rel": "nofollow noopener noreferrer ugc"}
    ]
    api = (await web.get("/api/v1/groups/club")).json()
    assert "<strong>things</strong>" in api["summary_html"]
    assert 'rel="nofollow noopener noreferrer ugc"' in api["summary_html"]


async def test_create_edit_and_delete_a_group(web: WebClient) -> None:
    await web.login_as_new("alice")
    created = await web.create_group(
        "club",
        "Book Club",
        summary="We read",
        location="Riverside",
        latitude="45,76",
        longitude="4.83",
        tags="Books, #reading books",
        membership_mode="approval",
    )
    assert created.status_code == 303
    page = await web.get("/groups/club")
    assert "Book Club" in page.text
    assert "Riverside" in page.text
    assert "#books" in page.text and "#reading" in page.text
    assert "Members approved by moderators" in page.text
    assert "is ready. Invite your neighbors!" in page.text
    api = (await web.get("/api/v1/groups/club")).json()
    assert (api["latitude"], api["longitude"]) == (45.76, 4.83)
    assert api["tags"] == ["books", "reading"]

    form = await web.get("/groups/club/edit")
    assert form.status_code == 200
    assert 'value="Book Club"' in form.text
    assert 'value="books, reading"' in form.text
    edited = await web.post_form(
        "/groups/club/edit",
        {"name": "Readers", "summary": "We read *more*", "visibility": "unlisted"},
        csrf_from="/groups/club/edit",
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == "/groups/club"
    page = await web.get("/groups/club")
    assert "Readers" in page.text
    assert "<em>more</em>" in page.text
    assert "Changes saved." in page.text
    api = (await web.get("/api/v1/groups/club")).json()
    assert api["visibility"] == "unlisted"
    assert api["tags"] == []

    unconfirmed = await web.post_form(
        "/groups/club/delete", {"confirm": "Readers"}, csrf_from="/groups/club/edit"
    )
    assert unconfirmed.status_code == 400
    assert "to confirm" in unconfirmed.text
    assert (await web.get("/groups/club")).status_code == 200

    deleted = await web.post_form(
        "/groups/club/delete", {"confirm": " CLUB "}, csrf_from="/groups/club/edit"
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/me/groups"
    gone = await web.get("/groups/club")
    assert gone.status_code == 404
    assert "No group named club." in gone.text
    assert "The group Readers was deleted." in (await web.get("/me/groups")).text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Give the group a name"),
        ({"name": "x" * 101}, "Give the group a name"),
        ({"name": "Club", "latitude": "north"}, "Enter a number"),
        ({"name": "Club", "latitude": "91", "longitude": "0"}, "Latitude is between"),
        ({"name": "Club", "latitude": "nan", "longitude": "0"}, "Latitude is between"),
        ({"name": "Club", "latitude": "10"}, "Give both latitude and longitude"),
        ({"name": "Club", "tags": "a, b, c, d, e, f, g, h, i, j, k"}, "at most 10 tags"),
        ({"name": "Club", "tags": "no!pe"}, "is not a valid tag"),
        ({"name": "Club", "visibility": "secret"}, "Visibility is public or unlisted"),
        ({"name": "Club", "membership_mode": "vip"}, "Membership is open, approval or invite"),
        ({"name": "Club", "summary": "x" * 5001}, "Keep the summary under"),
    ],
)
async def test_invalid_edits_change_nothing(
    web: WebClient,
    snapshot: Callable[[], Awaitable[Snapshot]],
    fields: dict[str, str],
    message: str,
) -> None:
    await web.login_as_new("alice")
    await web.create_group("club", "Club", tags="books")
    before = await snapshot()
    response = await web.post_form("/groups/club/edit", fields, csrf_from="/groups/club/edit")
    assert response.status_code == 400
    assert message in response.text
    assert await snapshot() == before


async def join_as(web: WebClient, username: str) -> None:
    await web.login_as_new(username)
    response = await web.post_form("/groups/club/join", csrf_from="/groups/club")
    assert response.status_code == 303


async def set_role(admin: WebClient, username: str, role: str) -> httpx.Response:
    return await admin.post_form(
        f"/groups/club/members/{username}",
        {"action": "role", "role": role},
        csrf_from="/groups/club/members",
    )


async def test_members_and_moderators_cannot_edit_or_delete(
    web: WebClient,
    browser_for: BrowserFactory,
    snapshot: Callable[[], Awaitable[Snapshot]],
    settings: Any,
) -> None:
    await web.login_as_new("alice")
    await web.create_group("club", "Club")
    bob = await browser_for(settings, web.app)
    await join_as(bob, "bob")
    before = await snapshot()

    assert (await bob.get("/groups/club/edit")).status_code == 403
    assert 'href="/groups/club/edit"' not in (await bob.get("/groups/club")).text
    edit = await bob.post_form("/groups/club/edit", {"name": "Mine"}, csrf_from="/groups/club")
    assert edit.status_code == 403
    assert "not allowed" in edit.text
    delete = await bob.post_form("/groups/club/delete", {"confirm": "club"}, csrf_from="/")
    assert delete.status_code == 403
    assert await snapshot() == before

    assert (await set_role(web, "bob", "moderator")).status_code == 303
    before = await snapshot()
    assert (await bob.get("/groups/club/edit")).status_code == 403
    delete = await bob.post_form("/groups/club/delete", {"confirm": "club"}, csrf_from="/")
    assert delete.status_code == 403
    assert await snapshot() == before


async def test_outsiders_cannot_edit_and_anonymous_visitors_are_sent_to_login(
    web: WebClient, browser_for: BrowserFactory, settings: Any
) -> None:
    await web.login_as_new("alice")
    await web.create_group("club", "Club")
    outsider = await browser_for(settings, web.app)
    await outsider.login_as_new("eve")
    assert (await outsider.get("/groups/club/edit")).status_code == 403
    anonymous = await browser_for(settings, web.app)
    response = await anonymous.get("/groups/club/edit")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/groups/club/edit"
    assert (await anonymous.get("/groups/new")).status_code == 303


async def test_instance_admins_can_edit_and_delete_any_group(
    web: WebClient, browser_for: BrowserFactory, settings: Any
) -> None:
    await web.login_as_new("alice")
    await web.create_group("club", "Club")
    root = await browser_for(settings, web.app)
    await root.login_as_new("root", is_admin=True)
    assert 'href="/groups/club/edit"' in (await root.get("/groups/club")).text
    edited = await root.post_form(
        "/groups/club/edit", {"name": "Moderated"}, csrf_from="/groups/club/edit"
    )
    assert edited.status_code == 303
    assert "Moderated" in (await web.get("/groups/club")).text
    deleted = await root.post_form(
        "/groups/club/delete", {"confirm": "club"}, csrf_from="/groups/club/edit"
    )
    assert deleted.status_code == 303
    assert (await web.get("/groups/club")).status_code == 404


async def test_group_created_on_the_web_is_in_the_api(
    web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    await web.login_as_new("alice")
    await web.create_group("club", "Club")

    async def token(session: Any) -> str:
        return await create_api_token(session, await get_user(session, "alice"))

    me = await web.get("/api/v1/me", headers={"Authorization": f"Bearer {await run_in_db(token)}"})
    assert me.json()["groups"] == [
        {"slug": "club", "name": "Club", "role": "admin", "state": "active"}
    ]


async def test_unknown_group_is_a_404_page(web: WebClient) -> None:
    assert (await web.get("/groups/nothing")).status_code == 404
    await web.login_as_new("alice")
    for path in ("/groups/nothing", "/groups/nothing/members", "/groups/nothing/edit"):
        response = await web.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.headers["content-type"]
        assert "No group named nothing." in response.text
