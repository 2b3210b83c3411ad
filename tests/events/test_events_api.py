"""``/api/v1`` meetups: create (one-off and series), read, update, cancel, delete, list."""

from __future__ import annotations

from typing import Any

from server.activitypub.runtime import runtime_of
from server.db import session_factory, transaction
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.events.conftest import Organizer
from tests.web import WebClient

MEETUP: dict[str, Any] = {
    "title": "Board games night",
    "start": "2030-05-04T19:00",
    "end": "2030-05-04T23:00",
    "timezone": "America/Chicago",
    "venue_name": "Library",
    "tags": ["games"],
}


async def _token(web: WebClient, username: str) -> dict[str, str]:
    async with transaction(session_factory(runtime_of(web.app).engine)) as session:
        token = await create_api_token(session, await get_user(session, username))
    return {"Authorization": f"Bearer {token}"}


async def test_create_read_update_cancel_delete(organizer: Organizer, web: WebClient) -> None:
    auth = await _token(web, "organizer")
    created = await web.client.post("/api/v1/groups/club/events", json=MEETUP, headers=auth)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["when"] == "Sat 4 May 2030, 19:00–23:00 (America/Chicago)"
    assert event["start"] == "2030-05-05T00:00:00+00:00"
    path = created.headers["location"]
    assert (await web.client.get(path)).json()["title"] == "Board games night"
    changed = await web.client.patch(
        path, json={"title": "Games night", "start": "2030-05-04T18:00"}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["sequence"] == 1 and changed.json()["title"] == "Games night"
    cancelled = await web.client.post(f"{path}/cancel", headers=auth)
    assert cancelled.json()["status"] == "cancelled"
    assert (await web.client.delete(path, headers=auth)).status_code == 204
    assert (await web.client.get(path)).status_code == 404


async def test_series_through_the_api(organizer: Organizer, web: WebClient) -> None:
    auth = await _token(web, "organizer")
    body = {**MEETUP, "recurrence": {"frequency": "monthly", "by_day": ["-1FR"], "count": 3}}
    created = await web.client.post("/api/v1/groups/club/events", json=body, headers=auth)
    assert created.status_code == 201, created.text
    items = created.json()["items"]
    assert [item["when"][:10] for item in items] == ["Fri 31 May", "Fri 28 Jun", "Fri 26 Jul"]


async def test_errors_are_json_with_a_reason(organizer: Organizer, web: WebClient) -> None:
    auth = await _token(web, "organizer")
    no_token = await web.client.post("/api/v1/groups/club/events", json=MEETUP)
    assert no_token.status_code == 401
    gap = {
        **MEETUP,
        "timezone": "Europe/Paris",
        "start": "2030-03-31T02:30",
        "end": "2030-03-31T04:00",
    }
    response = await web.client.post("/api/v1/groups/club/events", json=gap, headers=auth)
    assert response.status_code == 400
    assert "does not exist" in response.json()["detail"]["message"]
    offset = {**MEETUP, "start": "2030-05-04T19:00+02:00"}
    assert (
        await web.client.post("/api/v1/groups/club/events", json=offset, headers=auth)
    ).status_code == 400
    await web.logout()
    await web.login_as_new("stranger")
    other = await _token(web, "stranger")
    forbidden = await web.client.post("/api/v1/groups/club/events", json=MEETUP, headers=other)
    assert forbidden.status_code == 403


async def test_list_filters(organizer: Organizer, web: WebClient) -> None:
    auth = await _token(web, "organizer")
    await web.client.post("/api/v1/groups/club/events", json=MEETUP, headers=auth)
    listing = await web.client.get("/api/v1/events?tag=games")
    assert [item["title"] for item in listing.json()["items"]] == ["Board games night"]
    assert (await web.client.get("/api/v1/events?tag=other")).json()["items"] == []
    assert (await web.client.get("/api/v1/groups/club/events")).json()["total"] == 1
