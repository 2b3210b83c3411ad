"""RSVP on the meetup page (issue #5): one click, changeable, the waitlist told and promoted,
organizers approving restricted meetups, who sees which attendees, the CSV export, and the
private "my meetups" calendar feed with a link that can be reset."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import select

from server.models import Notification, User
from tests.events.conftest import Organizer
from tests.web import WebClient

Browser = Callable[[str], Awaitable[WebClient]]


@pytest.fixture
async def browser(app: Any, settings: Any) -> AsyncIterator[Browser]:
    """``await browser(name)``: another person, signed in with their own cookies."""
    clients: list[httpx.AsyncClient] = []

    async def open_as(name: str) -> WebClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=settings.base_url
        )
        clients.append(client)
        person = WebClient(client, app)
        if name:
            await person.login_as_new(name)
        return person

    yield open_as
    for client in clients:
        await client.aclose()


async def _answer(person: WebClient, event_id: int, answer: str) -> str:
    """Click an answer; returns the message the page then shows."""
    response = await person.post_form(
        f"/events/{event_id}/rsvp", {"answer": answer}, csrf_from=f"/events/{event_id}"
    )
    assert response.status_code == 303, response.text
    return await _page(person, event_id)


async def _page(person: WebClient, event_id: int) -> str:
    """The meetup page's text, unescaped, with whitespace runs as one space."""
    page = await person.get(f"/events/{event_id}")
    return re.sub(r"\s+", " ", html.unescape(page.text))


async def _notifications(run_in_db: Callable[..., Any], username: str) -> list[str]:
    async def read(session: Any) -> list[str]:
        user = (await session.exec(select(User).where(User.username == username))).one()
        query = select(Notification).where(Notification.user_id == user.id)
        return [n.text for n in (await session.exec(query)).all()]

    return await run_in_db(read)


async def test_one_click_answers_the_waitlist_and_promotion(
    organizer: Organizer, browser: Browser, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(capacity=1)
    alice, bob = await browser("alice"), await browser("bob")
    page = await _answer(alice, event_id, "going")
    assert "You're going to “Repair café”" in page
    assert "<strong>1</strong> going" in page and "Full: new answers join the waitlist" in page
    assert 'value="going" class="button button-primary" aria-pressed="true"' in page

    page = await _answer(bob, event_id, "going")
    assert "you are #1 on the waitlist" in page
    # Waitlisted is not going: no answer is shown as chosen, the first button says where
    # they stand.
    assert 'aria-pressed="true"' not in page
    assert (
        'value="going" class="button button-secondary button-waiting" aria-pressed="false">'
        "On the waitlist</button>"
    ) in page

    page = await _answer(alice, event_id, "not_going")
    assert "Noted: you can't make it" in page
    bob_page = await _page(bob, event_id)
    assert "You're going to “Repair café”" in bob_page
    assert any("A seat freed up" in text for text in await _notifications(run_in_db, "bob"))


async def test_a_bad_answer_is_a_clear_400_and_signed_out_people_are_asked_to_log_in(
    organizer: Organizer, browser: Browser
) -> None:
    event_id = await organizer.create_event_id()
    alice = await browser("alice")
    response = await alice.post_form(
        f"/events/{event_id}/rsvp", {"answer": "yes!"}, csrf_from=f"/events/{event_id}"
    )
    assert response.status_code == 400 and "going, maybe or not_going" in response.text
    stranger = await browser("")
    page = await stranger.get(f"/events/{event_id}")
    assert "Log in to answer" in page.text and "vote in the poll" in page.text


async def test_organizers_see_handles_members_see_names_the_public_sees_counts(
    organizer: Organizer, browser: Browser
) -> None:
    event_id = await organizer.create_event_id()
    member = await browser("alice")
    joined = await member.post_form("/groups/club/join", csrf_from="/groups/club")
    assert joined.status_code == 303
    await _answer(member, event_id, "going")
    await _answer(await browser("carol"), event_id, "maybe")

    as_organizer = (await organizer.web.get(f"/events/{event_id}")).text
    assert "@alice" in as_organizer and "@carol" in as_organizer
    as_member = (await member.get(f"/events/{event_id}")).text
    assert "alice" in as_member and "carol" in as_member and "@carol" not in as_member
    as_public = await _page(await browser(""), event_id)
    assert "<strong>1</strong> going" in as_public
    assert "carol" not in as_public and "Who's coming" not in as_public

    exported = await organizer.web.get(f"/events/{event_id}/attendees.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["name", "handle", "answer", "via", "answered_at"]
    assert sorted((r[1], r[2], r[3]) for r in rows[1:]) == [
        ("alice", "going", "web"),
        ("carol", "maybe", "web"),
    ]
    assert (await member.get(f"/events/{event_id}/attendees.csv")).status_code == 403


async def test_organizers_approve_each_participant_of_a_restricted_meetup(
    organizer: Organizer, browser: Browser, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(join_mode="restricted")
    alice = await browser("alice")
    page = await _answer(alice, event_id, "going")
    assert "Your request to attend “Repair café”" in page and "was sent to the organizers" in page
    listing = (await organizer.web.get(f"/events/{event_id}")).text
    [action] = re.findall(rf'action="(/events/{event_id}/participants/\d+)"', listing)
    response = await organizer.web.post_form(
        action, {"action": "approve"}, csrf_from=f"/events/{event_id}"
    )
    assert response.status_code == 303
    assert "You're going to" in await _page(alice, event_id)
    assert any("You're going to" in text for text in await _notifications(run_in_db, "alice"))


async def test_my_meetups_feed_is_private_and_its_link_can_be_reset(
    organizer: Organizer, browser: Browser
) -> None:
    going = await organizer.create_event_id(title="Repair café")
    skipped = await organizer.create_event_id(title="Board games")
    alice = await browser("alice")
    await _answer(alice, going, "going")
    await _answer(alice, skipped, "not_going")
    calendar_page = (await alice.get("/me/calendar")).text
    [link] = re.findall(
        r'id="feed-url" type="text" readonly value="https?://[^/]+([^"]+)"', calendar_page
    )

    anonymous = await browser("")
    feed = await anonymous.get(link)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    titles = [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert titles == ["Repair café"]

    reset = await alice.post_form("/me/calendar/reset", csrf_from="/me/calendar")
    assert reset.status_code == 303
    assert (await anonymous.get(link)).status_code == 404
    [new_link] = re.findall(
        r'readonly value="https?://[^/]+([^"]+)"', (await alice.get("/me/calendar")).text
    )
    assert new_link != link and (await anonymous.get(new_link)).status_code == 200
    assert (await anonymous.get(link.replace(".ics", "x.ics"))).status_code == 404
