"""Notifications inside Hearth (issue #16): the page and the header's count (marked read when
seen), ``/api/v1/notifications``, who hears about what, and each member's choice of what is
emailed — checked on a real SMTP server (aiosmtpd on 127.0.0.1) fed by the worker."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from server.activitypub.runtime import runtime_of
from server.config import Settings
from server.db import utcnow
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.conftest import SettingsMaker
from tests.events.conftest import FORM
from tests.mailbox import Mailbox, running_mailbox
from tests.web import WebClient

COUNT_RE = re.compile(r'class="nav-count">(\d+)<span class="visually-hidden"> unread')


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def settings(settings_for: SettingsMaker, mailbox: Mailbox) -> Settings:
    return settings_for(smtp=mailbox.smtp_settings())


@pytest.fixture
async def people(app: Any, settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    """``await people(name)``: another person in their own browser, signed in."""
    clients: list[httpx.AsyncClient] = []

    async def open_as(name: str, *, is_admin: bool = False) -> WebClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=settings.base_url
        )
        clients.append(client)
        person = WebClient(client, app)
        await person.login_as_new(name, is_admin=is_admin)
        return person

    yield open_as
    for client in clients:
        await client.aclose()


def unread_in_header(page: str) -> int:
    """The count the header shows (0 when it shows none)."""
    match = COUNT_RE.search(page)
    return int(match.group(1)) if match else 0


def texts(page: str) -> list[str]:
    """The notifications' texts on /notifications, newest first."""
    found = re.findall(r'<p class="notification-text">(.*?)</p>', page, re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found]


async def send_email(app: Any) -> None:
    """Let the worker send what is queued."""
    await runtime_of(app).worker.run_periodic(force=True)


async def club_with_meetup(web: WebClient, **changes: str) -> int:
    """The organizer (signed in on ``web``) starts ``club`` and a meetup; returns its id."""
    await web.login_as_new("organizer")
    assert (await web.create_group("club", "Chess Club")).status_code == 303
    data = {**FORM, **changes}
    response = await web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def rsvp(person: WebClient, event_id: int, answer: str = "going") -> None:
    response = await person.post_form(
        f"/events/{event_id}/rsvp", {"answer": answer}, csrf_from=f"/events/{event_id}"
    )
    assert response.status_code == 303, response.text


async def test_a_seat_from_the_waitlist_shows_in_the_header_and_page_then_is_read(
    web: WebClient, people: Callable[..., Any], app: Any, mailbox: Mailbox
) -> None:
    event_id = await club_with_meetup(web, capacity="1")
    alice, bob = await people("alice"), await people("bob")
    await rsvp(alice, event_id)
    await rsvp(bob, event_id)  # waitlisted
    home = (await bob.get("/")).text
    before = unread_in_header(home)
    await rsvp(alice, event_id, "not_going")

    home = (await bob.get("/")).text
    assert unread_in_header(home) == before + 1
    assert 'href="/notifications"' in home
    page = (await bob.get("/notifications")).text
    assert any(
        text.startswith("A seat freed up: you're now going to “Repair café”")
        for text in texts(page)
    )
    assert f'href="/events/{event_id}"' in page and "is-new" in page
    assert unread_in_header(page) == 0  # seen: the header no longer counts them
    again = (await bob.get("/notifications")).text
    assert "is-new" not in again and unread_in_header((await bob.get("/")).text) == 0

    await send_email(app)
    [seat] = [
        m for m in mailbox.to("bob@example.org") if m["Subject"].startswith("You have a seat")
    ]
    assert f"/events/{event_id}" in seat.get_content()


async def test_people_who_answered_hear_of_an_edit_and_a_cancellation_by_email_unless_they_opt_out(
    web: WebClient, people: Callable[..., Any], app: Any, mailbox: Mailbox
) -> None:
    event_id = await club_with_meetup(web)
    alice, bob, carol = await people("alice"), await people("bob"), await people("carol")
    await rsvp(alice, event_id, "going")
    await rsvp(bob, event_id, "maybe")
    await rsvp(carol, event_id, "not_going")
    settings_page = (await bob.get("/me/notifications")).text
    assert 'value="meetup_changes" checked' in settings_page
    kept = ["attendance", "reminders", "membership"]  # bob turns off meetup changes
    saved = await bob.client.post(
        "/me/notifications",
        data={"csrf_token": await bob.csrf("/me/notifications"), "email": kept},
    )
    assert saved.status_code == 303
    assert 'value="meetup_changes">' in (await bob.get("/me/notifications")).text

    edited = await web.post_form(
        f"/events/{event_id}/edit",
        {**FORM, "start_time": "15:00", "end_time": "18:00", "scope": "one"},
        csrf_from=f"/events/{event_id}/edit",
    )
    assert edited.status_code == 303, edited.text
    cancelled = await web.post_form(
        f"/events/{event_id}/cancel", {}, csrf_from=f"/events/{event_id}/edit"
    )
    assert cancelled.status_code == 303

    alice_texts = texts((await alice.get("/notifications")).text)
    assert alice_texts[0].startswith("“Repair café”") and alice_texts[0].endswith("is cancelled.")
    assert alice_texts[1].startswith("“Repair café” changed: now") and "15:00" in alice_texts[1]
    assert len(texts((await bob.get("/notifications")).text)) >= 2  # still on the page
    assert not any("changed" in t for t in texts((await carol.get("/notifications")).text))
    assert texts((await web.get("/notifications")).text) == []  # not told of their own edit

    await send_email(app)
    subjects = sorted(m["Subject"] for m in mailbox.to("alice@example.org"))
    assert subjects == ["Cancelled: Repair café", "Changed: Repair café"]
    assert mailbox.to("bob@example.org") == []
    assert mailbox.to("carol@example.org") == []


async def test_a_bad_email_choice_is_refused_with_a_reason(people: Callable[..., Any]) -> None:
    alice = await people("alice")
    response = await alice.post_form(
        "/me/notifications", {"email": "spam"}, csrf_from="/me/notifications"
    )
    assert response.status_code == 303
    page = (await alice.get("/me/notifications")).text
    assert "Unknown kind of notification: spam." in html.unescape(page)


async def test_join_requests_approval_and_proposals_reach_the_right_people(
    web: WebClient, people: Callable[..., Any]
) -> None:
    await web.login_as_new("organizer")
    created = await web.create_group("club", "Chess Club", membership_mode="approval")
    assert created.status_code == 303
    alice = await people("alice")
    joined = await alice.post_form("/groups/club/join", csrf_from="/groups/club")
    assert joined.status_code == 303
    assert texts((await web.get("/notifications")).text) == [
        "alice (@alice) asks to join Chess Club."
    ]
    approved = await web.post_form(
        "/groups/club/members/alice", {"action": "approve"}, csrf_from="/groups/club/members"
    )
    assert approved.status_code == 303
    assert texts((await alice.get("/notifications")).text) == [
        "Welcome! Your request to join Chess Club was approved."
    ]

    proposal = await alice.post_form(
        "/groups/club/proposals/new",
        {
            "title": "Meet on Thursdays?",
            "body": "",
            "method": "majority",
            "closes_at": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "eligibility": "members",
            "visibility": "members",
        },
        csrf_from="/groups/club/proposals/new",
    )
    assert proposal.status_code == 303, proposal.text
    organizer_texts = texts((await web.get("/notifications")).text)
    assert organizer_texts[0] == "alice opened a proposal in Chess Club: “Meet on Thursdays?”."
    assert not any(
        "opened a proposal" in t for t in texts((await alice.get("/notifications")).text)
    )


async def test_admins_hear_of_sign_ups_to_approve_and_of_reports(
    web: WebClient, people: Callable[..., Any], app: Any, run_in_db: Callable[..., Any]
) -> None:
    admin = await people("root", is_admin=True)
    saved = await admin.post_form(
        "/admin",
        {"name": "Riverside", "registration": "approval", "description": "", "contact_email": ""},
        csrf_from="/admin",
    )
    assert saved.status_code == 303, saved.text
    signup = await web.post_form(
        "/signup",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password": "a long enough password",
            "reason": "I live on Main St",
        },
        csrf_from="/signup",
    )
    assert signup.status_code == 303, signup.text
    page = (await admin.get("/notifications")).text
    assert texts(page)[0] == "@newbie signed up and waits for approval."
    assert 'href="/admin/signups"' in page

    alice = await people("alice")
    reported = await alice.post_form(
        "/report",
        {"actor": "https://elsewhere.example/users/troll", "reason": "Spam in the club"},
        csrf_from="/report?actor=https://elsewhere.example/users/troll",
    )
    assert reported.status_code == 303, reported.text
    assert texts((await admin.get("/notifications")).text)[0] == (
        "New report about https://elsewhere.example/users/troll."
    )
    assert texts((await alice.get("/notifications")).text) == []
    settings_page = (await alice.get("/me/notifications")).text
    assert "Instance admin" not in settings_page  # only admins choose about admin news


async def test_the_api_lists_pages_and_marks_notifications_read(
    web: WebClient, people: Callable[..., Any], run_in_db: Callable[..., Any], settings: Settings
) -> None:
    event_id = await club_with_meetup(web)
    alice = await people("alice")
    await rsvp(alice, event_id)
    for start in ("15:00", "16:00", "17:00"):
        edited = await web.post_form(
            f"/events/{event_id}/edit",
            {**FORM, "start_time": start, "end_time": "19:00", "scope": "one"},
            csrf_from=f"/events/{event_id}/edit",
        )
        assert edited.status_code == 303

    async def token(session: Any) -> str:
        return await create_api_token(session, await get_user(session, "alice"))

    headers = {"Authorization": f"Bearer {await run_in_db(token)}"}
    listed = (await web.get("/api/v1/notifications", headers=headers)).json()
    items = listed["items"]
    assert listed["unread_count"] == len(items) >= 3
    newest = items[0]
    assert newest["kind"] == "event_changed" and newest["category"] == "meetup_changes"
    assert newest["url"] == f"{settings.base_url}/events/{event_id}" and newest["read"] is False
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)

    page = await web.get(f"/api/v1/notifications?limit=1&max_id={newest['id']}", headers=headers)
    assert [i["id"] for i in page.json()["items"]] == [items[1]["id"]]

    marked = await web.client.post(
        "/api/v1/notifications/read", json={"ids": [newest["id"], 999999]}, headers=headers
    )
    assert marked.json() == {"marked": 1, "unread_count": len(items) - 1}
    unread = (await web.get("/api/v1/notifications?unread=true", headers=headers)).json()
    assert newest["id"] not in [i["id"] for i in unread["items"]]
    assert (
        await web.client.post("/api/v1/notifications/read", json={"all": True}, headers=headers)
    ).json() == {"marked": len(items) - 1, "unread_count": 0}
    assert unread_in_header((await alice.get("/")).text) == 0


async def test_the_api_refuses_bad_requests_with_reasons(
    web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    assert (await web.get("/api/v1/notifications")).status_code == 401
    await web.make_user("alice")

    async def token(session: Any) -> str:
        return await create_api_token(session, await get_user(session, "alice"))

    headers = {"Authorization": f"Bearer {await run_in_db(token)}"}
    bad_limit = await web.get("/api/v1/notifications?limit=-3", headers=headers)
    assert bad_limit.status_code == 400 and bad_limit.json()["detail"][0]["field"] == "limit"
    bad_unread = await web.get("/api/v1/notifications?unread=maybe", headers=headers)
    assert bad_unread.status_code == 400
    empty = await web.client.post("/api/v1/notifications/read", json={}, headers=headers)
    assert empty.status_code == 400 and "ids to mark read" in empty.text
    not_json = await web.client.post(
        "/api/v1/notifications/read", content=b"ids=1", headers=headers
    )
    assert not_json.status_code == 415
    document = (await web.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/notifications", "/api/v1/notifications/read"} <= set(document["paths"])
    assert "Notification" in document["components"]["schemas"]


async def test_a_moderator_invites_someone_here_who_is_told_with_the_link(
    web: WebClient, people: Callable[..., Any], settings: Settings, app: Any, mailbox: Mailbox
) -> None:
    await web.login_as_new("organizer")
    created = await web.create_group("club", "Chess Club", membership_mode="invite")
    assert created.status_code == 303
    alice = await people("alice")
    domain = settings.instance.domain
    invited = await web.post_form(
        "/groups/club/invite", {"handle": f"@alice@{domain}"}, csrf_from="/groups/club/members"
    )
    assert invited.status_code == 303, invited.text
    page = (await alice.get("/notifications")).text
    assert texts(page) == ["organizer invites you to join Chess Club."]
    link = re.search(r'href="(/groups/club/invitation/[^"]+)"', page)
    assert link is not None
    assert "Chess Club" in (await alice.get(link.group(1))).text
    await send_email(app)
    [email] = mailbox.to("alice@example.org")
    assert email["Subject"] == "Invitation to join Chess Club"
    assert f"{settings.base_url}{link.group(1)}" in email.get_content()

    nobody = await web.post_form(
        "/groups/club/invite", {"handle": f"@nobody@{domain}"}, csrf_from="/groups/club/members"
    )
    assert nobody.status_code == 400 and "Nobody here is called @nobody." in nobody.text


async def test_each_person_is_told_in_their_own_language(
    web: WebClient, people: Callable[..., Any], app: Any, mailbox: Mailbox
) -> None:
    await web.login_as_new("organizer")
    created = await web.create_group("club", "Chess Club", membership_mode="approval")
    assert created.status_code == 303
    alice = await people("alice")
    chosen = await alice.post_form("/me/language", {"language": "de"}, csrf_from="/me/language")
    assert chosen.status_code == 303
    joined = await alice.post_form("/groups/club/join", csrf_from="/groups/club")
    assert joined.status_code == 303
    # Alice asked in German; the organizer, who chose nothing, reads the instance's English.
    assert texts((await web.get("/notifications")).text) == [
        "alice (@alice) asks to join Chess Club."
    ]
    approved = await web.post_form(
        "/groups/club/members/alice", {"action": "approve"}, csrf_from="/groups/club/members"
    )
    assert approved.status_code == 303
    assert texts((await alice.get("/notifications")).text) == [
        "Willkommen! Deine Beitrittsanfrage für Chess Club wurde angenommen."
    ]
    await send_email(app)
    [email] = mailbox.to("alice@example.org")
    assert email["Subject"] == "Du bist Mitglied von Chess Club"
    body = email.get_content().replace("\r\n", "\n")
    assert body.startswith("Hallo alice,\n\nWillkommen! Deine Beitrittsanfrage für Chess Club")
