"""The practice-grounds API: a meetup's roles (list, volunteer, assign, hand back), agenda
(items, order, times) and minutes (read, write, publish), with 4xx and reasons for bad
input and for people who may not — and every path in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.practice.conftest import Club, RunInDb, checked_in, meetup_at
from tests.web import WebClient


async def _token(run_in_db: RunInDb, username: str) -> dict[str, str]:
    async def make(session: Any) -> str:
        return await create_api_token(session, await get_user(session, username))

    return {"Authorization": f"Bearer {await run_in_db(make)}"}


async def test_roles_agenda_and_minutes_over_the_api(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(minutes=-10), hours=1)
    await club.add_member("ana")
    await club.add_member("bo")
    await checked_in(run_in_db, event_id, "ana")
    organizer = await _token(run_in_db, "organizer")
    ana = await _token(run_in_db, "ana")
    bo = await _token(run_in_db, "bo")
    base = f"/api/v1/events/{event_id}"
    http = web.client

    roles = (await http.get(f"{base}/roles", headers=organizer)).json()["items"]
    ids = {role["name"]: role["role_id"] for role in roles}
    assert [role["name"] for role in roles] == [
        "Facilitator",
        "Note-taker",
        "Greeter",
        "Timekeeper",
    ]
    assert roles[0]["holder"] is None and roles[0]["suggested"] == ["@ana"]
    assert (await http.get(f"{base}/roles")).status_code == 401

    taken = await http.put(f"{base}/roles/{ids['Facilitator']}/volunteer", headers=ana)
    assert taken.status_code == 200 and taken.json()["items"][0]["holder"] == "@ana"
    assert taken.json()["items"][0]["suggested"] == []  # only organizers see suggestions
    await web.login_as_new("outsider")
    outsider = await _token(run_in_db, "outsider")
    seen = (await http.get(f"{base}/roles", headers=outsider)).json()["items"][0]
    assert (seen["taken"], seen["holder"]) == (True, None)  # names are for members
    clash = await http.put(f"{base}/roles/{ids['Facilitator']}/volunteer", headers=bo)
    assert clash.status_code == 409 and "already holds" in clash.json()["detail"]["message"]
    not_allowed = await http.put(
        f"{base}/roles/{ids['Note-taker']}", json={"username": "bo"}, headers=ana
    )
    assert not_allowed.status_code == 403
    assigned = await http.put(
        f"{base}/roles/{ids['Note-taker']}", json={"username": "@bo"}, headers=organizer
    )
    assert assigned.status_code == 200 and assigned.json()["items"][1]["holder"] == "@bo"
    bad = await http.put(f"{base}/roles/{ids['Greeter']}", json={"user": "bo"}, headers=organizer)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_input"
    freed = await http.delete(f"{base}/roles/{ids['Facilitator']}", headers=ana)
    assert freed.status_code == 200 and freed.json()["items"][0]["holder"] is None
    assert (await http.delete(f"{base}/roles/{ids['Facilitator']}", headers=ana)).status_code == 400
    assert (await http.get(f"/api/v1/events/{event_id}/roles/x", headers=ana)).status_code in (
        404,
        405,
    )

    # Agenda: Ana adds two items; bad minutes are a 400; the organizer reorders and times.
    first = await http.post(f"{base}/agenda", json={"title": "Welcome", "minutes": 10}, headers=ana)
    assert first.status_code == 201
    second = await http.post(
        f"{base}/agenda",
        json={"title": "Garden plan", "minutes": 40, "presenter": "Bo"},
        headers=ana,
    )
    items = second.json()["items"]
    assert [i["title"] for i in items] == ["Welcome", "Garden plan"]
    assert second.json()["total_minutes"] == 50 and second.json()["length_minutes"] == 60
    zero = await http.post(f"{base}/agenda", json={"title": "X", "minutes": 0}, headers=ana)
    assert zero.status_code == 400
    order = [items[1]["id"], items[0]["id"]]
    refused = await http.put(f"{base}/agenda/order", json={"order": order}, headers=ana)
    assert refused.status_code == 403
    partial = await http.put(f"{base}/agenda/order", json={"order": order[:1]}, headers=organizer)
    assert partial.status_code == 400 and "exactly once" in partial.json()["detail"]["message"]
    ordered = await http.put(f"{base}/agenda/order", json={"order": order}, headers=organizer)
    assert [i["title"] for i in ordered.json()["items"]] == ["Garden plan", "Welcome"]
    timed = await http.patch(
        f"{base}/agenda/{items[0]['id']}", json={"minutes": 30}, headers=organizer
    )
    assert timed.json()["total_minutes"] == 70 and timed.json()["over_minutes"] == 10
    gone = await http.delete(f"{base}/agenda/{items[0]['id']}", headers=ana)
    assert gone.status_code == 204
    assert [i["title"] for i in (await http.get(f"{base}/agenda", headers=bo)).json()["items"]] == [
        "Garden plan"
    ]

    # Minutes: the note-taker (Bo) gets a prefill, writes a draft, then publishes.
    none_yet = await http.get(f"{base}/minutes", headers=bo)
    assert none_yet.status_code == 404
    assert "1. **Garden plan** (Bo, 40 min)" in none_yet.json()["detail"]["prefill"]
    assert "- ana (@ana)" in none_yet.json()["detail"]["prefill"]
    assert (await http.get(f"{base}/minutes", headers=ana)).status_code == 404
    refused = await http.put(f"{base}/minutes", json={"title": "M", "body": "text"}, headers=ana)
    assert refused.status_code == 403
    draft = await http.put(
        f"{base}/minutes", json={"title": "Garden minutes", "body": "We plant."}, headers=bo
    )
    assert draft.status_code == 201 and draft.json()["published_at"] is None
    assert (await http.get(f"{base}/minutes", headers=ana)).status_code == 404
    published = await http.put(
        f"{base}/minutes",
        json={"title": "Garden minutes", "body": "We plant *beans*.", "publish": True},
        headers=bo,
    )
    assert published.status_code == 200 and published.json()["visibility"] == "members"
    read = await http.get(f"{base}/minutes", headers=ana)
    assert read.json()["body_html"] == "<p>We plant <em>beans</em>.</p>\n"
    empty = await http.put(f"{base}/minutes", json={"title": "x", "body": ""}, headers=bo)
    assert empty.status_code == 400


async def test_the_openapi_document_lists_the_practice_paths(web: WebClient) -> None:
    document = (await web.get("/api/v1/openapi.json")).json()
    for path, methods in {
        "/api/v1/events/{event_id}/roles": {"get"},
        "/api/v1/events/{event_id}/roles/{role_id}/volunteer": {"put"},
        "/api/v1/events/{event_id}/roles/{role_id}": {"put", "delete"},
        "/api/v1/events/{event_id}/agenda": {"get", "post"},
        "/api/v1/events/{event_id}/agenda/order": {"put"},
        "/api/v1/events/{event_id}/agenda/{item_id}": {"patch", "delete"},
        "/api/v1/events/{event_id}/minutes": {"get", "put"},
    }.items():
        assert methods <= set(document["paths"][path]), path
    schemas = document["components"]["schemas"]
    assert {"AssignIn", "AgendaItemIn", "AgendaOrderIn", "MinutesIn", "Minutes"} <= set(schemas)
