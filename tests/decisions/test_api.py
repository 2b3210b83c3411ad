"""The decisions API: open a proposal, vote and change the vote, read the count, check in
with the meetup's code, and attendance for organizers only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from server.db import utcnow
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.decisions.conftest import Club
from tests.decisions.test_checkin import _code, _meetup_now
from tests.web import WebClient


async def _token(run_in_db: Callable[..., Any], username: str) -> dict[str, str]:
    async def make(session: Any) -> str:
        return await create_api_token(session, await get_user(session, username))

    return {"Authorization": f"Bearer {await run_in_db(make)}"}


async def test_proposals_and_votes_over_the_api(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    organizer = await _token(run_in_db, "organizer")
    closes = (utcnow() + timedelta(days=2)).isoformat()
    created = await web.client.post(
        "/api/v1/groups/club/proposals",
        json={"title": "Buy a second chess clock?", "closes_at": closes, "quorum_count": 1},
        headers=organizer,
    )
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["options"] == ["Agree", "Disagree", "Abstain"] and proposal["open"] is True
    path = f"/api/v1/groups/club/proposals/{proposal['id']}"

    first = await web.client.put(f"{path}/vote", json={"option": "disagree"}, headers=organizer)
    assert first.json() == {"option": "Disagree", "changed": True}
    changed = await web.client.put(f"{path}/vote", json={"option": "Agree"}, headers=organizer)
    assert changed.json() == {"option": "Agree", "changed": True}
    read = (await web.client.get(path, headers=organizer)).json()
    assert read["counts"] == {"Agree": 1, "Disagree": 0, "Abstain": 0}

    bad = await web.client.put(f"{path}/vote", json={"option": "Maybe"}, headers=organizer)
    assert bad.status_code == 400 and "not one of the options" in bad.text
    naive = await web.client.post(
        "/api/v1/groups/club/proposals",
        json={"title": "No zone", "closes_at": "2031-01-01T10:00:00"},
        headers=organizer,
    )
    assert naive.status_code == 400

    await web.make_user("stranger")
    stranger = await _token(run_in_db, "stranger")
    assert (await web.client.get(path, headers=stranger)).status_code == 404
    refused = await web.client.put(f"{path}/vote", json={"option": "Agree"}, headers=stranger)
    assert refused.status_code == 404
    listed = await web.client.get("/api/v1/groups/club/proposals", headers=stranger)
    assert listed.json() == {"items": []}
    assert (await web.client.get(path)).status_code == 401


async def test_check_in_over_the_api(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    event_id = await _meetup_now(web, run_in_db)
    await club.add_member("bea")
    bea = await _token(run_in_db, "bea")
    code = await _code(web, run_in_db, event_id)
    url = f"/api/v1/events/{event_id}/check-in"
    first = await web.client.post(url, json={"code": code}, headers=bea)
    assert first.status_code == 201
    assert (await web.client.post(url, json={"code": code}, headers=bea)).status_code == 200
    old = await _code(web, run_in_db, event_id, ago=600)
    assert (await web.client.post(url, json={"code": old}, headers=bea)).status_code == 403
    attendance = f"/api/v1/events/{event_id}/check-ins"
    assert (await web.client.get(attendance, headers=bea)).status_code == 403
    organizer = await _token(run_in_db, "organizer")
    people = (await web.client.get(attendance, headers=organizer)).json()["items"]
    assert [person["person"] for person in people] == ["@bea"]
