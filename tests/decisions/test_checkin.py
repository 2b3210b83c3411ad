"""Meetup check-in: the rotating code, expired and reused codes, people from other servers
proving their handle, and "checked-in members only" proposals."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.db import utcnow
from server.errors import Forbidden
from server.models import CheckIn, Event, InboxActivity, OutboxActivity
from server.services import checkin
from tests.decisions.conftest import Club
from tests.events.conftest import FORM
from tests.federation_net import FederationNet
from tests.flows.scenes import rows
from tests.web import WebClient


async def _meetup_now(web: WebClient, run_in_db: Callable[..., Any], slug: str = "club") -> int:
    """A meetup of the group happening right now (created on the web, then moved to now)."""
    response = await web.post_form(
        f"/groups/{slug}/events/new", FORM, csrf_from=f"/groups/{slug}/events/new"
    )
    assert response.status_code == 303, response.text
    event_id = int(response.headers["location"].rsplit("/", 1)[1])

    async def move(session: Any) -> None:
        event = await session.get(Event, event_id)
        event.starts_at = utcnow() - timedelta(minutes=10)
        event.ends_at = utcnow() + timedelta(hours=2)
        session.add(event)

    await run_in_db(move)
    return event_id


async def _code(
    web: WebClient, run_in_db: Callable[..., Any], event_id: int, ago: float = 0
) -> str:
    async def make(session: Any) -> str:
        event = await session.get(Event, event_id)
        moment = utcnow() - timedelta(seconds=ago)
        return checkin.current_code(runtime_of(web.app).secret_key, event, moment)

    return await run_in_db(make)


async def test_member_checks_in_with_the_code_shown(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    shown = await web.get(f"/events/{event_id}/check-in")
    assert shown.status_code == 200 and "<svg" in shown.text
    code = await _code(web, run_in_db, event_id)
    assert f"check-in?code={code}" in shown.text  # the QR's title carries the URL
    # No meta refresh taking the page from the organizer: the code alone is fetched again.
    assert 'http-equiv="refresh"' not in shown.text
    assert f'data-refresh-url="/events/{event_id}/check-in/qr.svg"' in shown.text
    fresh = await web.get(f"/events/{event_id}/check-in/qr.svg")
    assert fresh.status_code == 200 and fresh.headers["content-type"] == "image/svg+xml"
    assert fresh.text.startswith("<svg") and f"check-in?code={code}" in fresh.text
    assert fresh.headers["cache-control"] == "no-store"
    await club.add_member("bea")
    assert (await web.get(f"/events/{event_id}/check-in")).status_code == 403  # not the QR
    assert (await web.get(f"/events/{event_id}/check-in/qr.svg")).status_code == 403
    page = f"/events/{event_id}/check-in?code={code}"
    assert "Check me in as @bea" in (await web.get(page)).text
    done = await web.post_form(f"/events/{event_id}/check-in", {"code": code}, csrf_from=page)
    assert done.status_code == 200 and "You're checked in" in done.text
    again = await web.post_form(f"/events/{event_id}/check-in", {"code": code}, csrf_from=page)
    assert again.status_code == 200
    assert len(await run_in_db(lambda s: _check_ins(s))) == 1

    await club.sign_in("organizer")
    attendance = await web.get(f"/events/{event_id}/attendance")
    assert "@bea" in attendance.text


async def _check_ins(session: Any) -> list[CheckIn]:
    return list((await session.exec(select(CheckIn))).all())


async def test_expired_codes_and_closed_windows_are_refused(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    old = await _code(web, run_in_db, event_id, ago=10 * 60)
    response = await web.get(f"/events/{event_id}/check-in?code={old}")
    assert response.status_code == 403 and "has expired" in response.text
    page = f"/events/{event_id}/check-in?code={await _code(web, run_in_db, event_id)}"
    refused = await web.post_form(f"/events/{event_id}/check-in", {"code": old}, csrf_from=page)
    assert refused.status_code == 403
    forged = await web.post_form(f"/events/{event_id}/check-in", {"code": "0" * 16}, csrf_from=page)
    assert forged.status_code == 403

    async def next_week(session: Any) -> None:
        event = await session.get(Event, event_id)
        event.starts_at += timedelta(days=7)
        event.ends_at += timedelta(days=7)
        session.add(event)

    await run_in_db(next_week)
    code = await _code(web, run_in_db, event_id)
    response = await web.get(f"/events/{event_id}/check-in?code={code}")
    assert response.status_code == 403 and "Check-in is open only" in response.text
    assert await run_in_db(_check_ins) == []


async def test_one_time_codes_cannot_be_reused_or_used_late(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    person = "https://elsewhere.test/users/dee"

    async def issue(session: Any) -> str:
        return await checkin.new_one_time_code(session, await session.get(Event, event_id), person)

    code = await run_in_db(issue)
    page = f"/events/{event_id}/check-in?code={await _code(web, run_in_db, event_id)}"
    confirm = f"/events/{event_id}/check-in/confirm"
    wrong = await web.post_form(
        confirm,
        {"actor": person, "otc": "999999" if code != "999999" else "000000"},
        csrf_from=page,
    )
    assert wrong.status_code == 400 and "wrong, expired or already used" in wrong.text
    first = await web.post_form(confirm, {"actor": person, "otc": code}, csrf_from=page)
    assert first.status_code == 200 and "You're checked in" in first.text
    reused = await web.post_form(confirm, {"actor": person, "otc": code}, csrf_from=page)
    assert reused.status_code == 400
    other = "https://elsewhere.test/users/eve"
    late = await run_in_db(lambda s: _issue_expired(s, event_id, other))
    expired = await web.post_form(confirm, {"actor": other, "otc": late}, csrf_from=page)
    assert expired.status_code == 400
    assert [row.actor_uri for row in await run_in_db(_check_ins)] == [person]


async def _issue_expired(session: Any, event_id: int, person: str) -> str:
    from server.models import CheckInCode

    code = await checkin.new_one_time_code(session, await session.get(Event, event_id), person)
    row = (await session.exec(select(CheckInCode).where(CheckInCode.actor_uri == person))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    return code


async def test_someone_on_another_server_checks_in_with_a_direct_message(
    net: FederationNet,
) -> None:
    a = await net.add("a")
    b = await net.add("b")
    await a.web.login_as_new("alice")
    await b.web.login_as_new("organizer")
    assert (await b.web.create_group("club", "Chess Club")).status_code == 303
    event_id = await _meetup_now(b.web, b.run)
    await b.web.logout()
    code = await _code(b.web, b.run, event_id)
    page = f"/events/{event_id}/check-in?code={code}"
    sent = await b.web.post_form(
        f"/events/{event_id}/check-in/remote",
        {"code": code, "handle": "@alice@a.test"},
        csrf_from=page,
    )
    assert sent.status_code == 200 and "@alice@a.test" in sent.text
    [note] = [
        activity["object"]
        for activity in (json.loads(row.body) for row in await rows(b, OutboxActivity))
        if activity["object"].get("type") == "Note"
    ]
    assert note["to"] == ["https://a.test/users/alice"]
    one_time = re.search(r"code for .* is (\d{6})", note["content"])
    assert one_time
    await net.drain()
    arrived = await rows(a, InboxActivity)
    assert [json.loads(row.body)["object"]["id"] for row in arrived] == [note["id"]]

    done = await b.web.post_form(
        f"/events/{event_id}/check-in/confirm",
        {"actor": "https://a.test/users/alice", "otc": one_time.group(1)},
        csrf_from=page,
    )
    assert done.status_code == 200 and "You're checked in" in done.text
    [row] = await rows(b, CheckIn)
    assert row.actor_uri == "https://a.test/users/alice"


async def test_checked_in_only_proposals_count_only_those_who_came(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    proposal_id = await club.open_proposal(eligibility="checked_in")
    await club.add_member("bea")
    page = await club.vote(proposal_id, "Agree")
    assert "only members who checked in at one of the group" in page
    code = await _code(web, run_in_db, event_id)
    await web.post_form(
        f"/events/{event_id}/check-in",
        {"code": code},
        csrf_from=f"/events/{event_id}/check-in?code={code}",
    )
    page = await club.vote(proposal_id, "Agree")
    assert "Your vote is counted." in page


async def test_members_see_who_has_met_in_person_and_nobody_else_does(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    await club.add_member("bea")
    code = await _code(web, run_in_db, event_id)
    await web.post_form(
        f"/events/{event_id}/check-in",
        {"code": code},
        csrf_from=f"/events/{event_id}/check-in?code={code}",
    )
    await club.add_member("cy")
    members = (await web.get("/groups/club/members")).text
    bea_line = members.split("@bea")[1].split("</li>")[0]
    cy_line = members.split("@cy")[1].split("</li>")[0]
    assert "met in person · last meetup" in bea_line
    assert "met in person" not in cy_line
    await web.make_user("stranger")
    await club.sign_in("stranger")
    assert (await web.get("/groups/club/members")).status_code == 403
    assert "met in person" not in (await web.get("/groups/club")).text


async def test_organizers_see_attendance_history(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    first = await _meetup_now(web, run_in_db)
    second = await _meetup_now(web, run_in_db)
    await club.add_member("bea")
    for event_id in (first, second):
        code = await _code(web, run_in_db, event_id)
        await web.post_form(
            f"/events/{event_id}/check-in",
            {"code": code},
            csrf_from=f"/events/{event_id}/check-in?code={code}",
        )
    assert (await web.get("/groups/club/attendance")).status_code == 403
    await club.sign_in("organizer")
    page = (await web.get("/groups/club/attendance")).text
    row = page.split("@bea")[1].split("</tr>")[0]
    assert "<td>2</td>" in row


async def test_codes_cannot_flood_someones_messages(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    person = "https://elsewhere.test/users/dee"

    async def issue(session: Any) -> str:
        return await checkin.new_one_time_code(session, await session.get(Event, event_id), person)

    for _ in range(checkin.MAX_LIVE_CODES):
        await run_in_db(issue)
    with pytest.raises(Forbidden):
        await run_in_db(issue)
