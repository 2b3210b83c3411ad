"""RSVPs and members over ``/api/v1``: answer, change, the waitlist, withdraw and promotion,
organizer decisions, who sees which answers, and the members list (members only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.events.conftest import Organizer
from tests.web import WebClient


async def _token(web: WebClient, run_in_db: Callable[..., Any], username: str) -> dict[str, str]:
    """Bearer headers of ``username`` (an account made for the test, unless the organizer)."""
    if username != "organizer":
        await web.make_user(username)

    async def make(session: Any) -> str:
        return await create_api_token(session, await get_user(session, username))

    return {"Authorization": f"Bearer {await run_in_db(make)}"}


async def test_answers_waitlist_and_withdrawal(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    web = organizer.web
    event_id = await organizer.create_event_id(capacity=1)
    path = f"/api/v1/events/{event_id}"
    alice = await _token(web, run_in_db, "alice")
    bob = await _token(web, run_in_db, "bob")

    first = await web.client.put(f"{path}/rsvp", json={"answer": "going"}, headers=alice)
    assert first.status_code == 200 and first.json()["status"] == "going"
    second = await web.client.put(f"{path}/rsvp", json={"answer": "going"}, headers=bob)
    assert second.json()["status"] == "waitlisted" and second.json()["waitlist_position"] == 1
    assert "#1 on the waitlist" in second.json()["message"]
    bad = await web.client.put(f"{path}/rsvp", json={"answer": "yes"}, headers=bob)
    assert bad.status_code == 400

    as_bob = (await web.client.get(f"{path}/rsvps", headers=bob)).json()
    assert as_bob["counts"]["going"] == 1 and as_bob["counts"]["waitlisted"] == 1
    assert (as_bob["mine"], as_bob["seats_left"], as_bob["items"]) == ("waitlisted", 0, [])

    assert (await web.client.delete(f"{path}/rsvp", headers=alice)).status_code == 204
    assert (await web.client.delete(f"{path}/rsvp", headers=alice)).status_code == 404
    organizer_token = await _token(web, run_in_db, "organizer")
    listing = (await web.client.get(f"{path}/rsvps", headers=organizer_token)).json()
    assert [(i["handle"], i["status"], i["via"]) for i in listing["items"]] == [
        ("@bob", "going", "api")
    ]


async def test_organizers_decide_and_members_list_is_for_members(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    web = organizer.web
    event_id = await organizer.create_event_id(join_mode="restricted")
    path = f"/api/v1/events/{event_id}"
    alice = await _token(web, run_in_db, "alice")
    lead = await _token(web, run_in_db, "organizer")
    asked = await web.client.put(f"{path}/rsvp", json={"answer": "going"}, headers=alice)
    assert asked.json()["status"] == "pending"
    [request] = (await web.client.get(f"{path}/rsvps", headers=lead)).json()["items"]
    decision = f"{path}/rsvps/{request['id']}/decision"
    refused = await web.client.post(decision, json={"approve": True}, headers=alice)
    assert refused.status_code == 403
    decided = await web.client.post(decision, json={"approve": True}, headers=lead)
    assert decided.json() == {"id": request["id"], "status": "going"}

    assert (await web.client.get("/api/v1/groups/club/members", headers=alice)).status_code == 403
    joined = await web.client.put("/api/v1/groups/club/membership", headers=alice)
    assert joined.status_code == 201 and joined.json()["state"] == "active"
    again = await web.client.put("/api/v1/groups/club/membership", headers=alice)
    assert again.status_code == 409
    listed = (await web.client.get("/api/v1/groups/club/members", headers=alice)).json()
    assert [(m["handle"], m["role"], m["remote"]) for m in listed["items"]] == [
        ("@organizer", "admin", False),
        ("@alice", "member", False),
    ]
    left = await web.client.delete("/api/v1/groups/club/membership", headers=alice)
    assert left.status_code == 204
