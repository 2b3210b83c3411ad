"""Steps of the group-move scenarios: a lively group on one server (members, a follower, a
meetup with answers and a check-in, a post, a proposal with a vote) and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.models import CheckIn
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import JsonObject, Peer, PeerActor
from tests.flows.scenes import follow_from_peer, organize_group


async def token_of(instance: Instance, username: str) -> dict[str, str]:
    """Authorization headers with a new API token of ``username``."""

    async def make(session: Any) -> str:
        return await create_api_token(session, await get_user(session, username))

    return {"Authorization": f"Bearer {await instance.run(make)}"}


@dataclass
class LivelyGroup:
    """What the scenario put into the group, to compare after the move."""

    slug: str
    event_id: int
    follower: PeerActor
    organizer: dict[str, str]
    follow: JsonObject


async def lively_group(
    net: FederationNet, instance: Instance, peer: Peer, slug: str = "club"
) -> LivelyGroup:
    """A group whose organizer and member ``bea`` answered a meetup, with a peer follower."""
    await organize_group(instance, slug)
    organizer = await token_of(instance, "organizer")
    await instance.web.make_user("bea")
    bea = await token_of(instance, "bea")
    api = instance.web.client
    joined = await api.put(f"/api/v1/groups/{slug}/membership", headers=bea)
    assert joined.status_code in (200, 201), joined.text
    meetup = {
        "title": "Repair café",
        "description": "Bring a **toaster**",
        "start": "2031-05-03T14:00",
        "end": "2031-05-03T17:00",
        "timezone": "Europe/Paris",
        "venue_name": "Community hall",
    }
    created = await api.post(f"/api/v1/groups/{slug}/events", json=meetup, headers=organizer)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    for token, answer in ((organizer, "going"), (bea, "maybe")):
        rsvp = f"/api/v1/events/{event_id}/rsvp"
        put = await api.put(rsvp, json={"answer": answer}, headers=token)
        assert put.status_code in (200, 201), put.text
    post = {"content": "See you at the **café**", "visibility": "public"}
    posted = await api.post(f"/api/v1/groups/{slug}/posts", json=post, headers=organizer)
    assert posted.status_code == 201, posted.text
    closes = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    proposal = {"title": "Buy a soldering iron?", "closes_at": closes}
    opened = await api.post(f"/api/v1/groups/{slug}/proposals", json=proposal, headers=organizer)
    assert opened.status_code == 201, opened.text
    vote_url = f"/api/v1/groups/{slug}/proposals/{opened.json()['id']}/vote"
    voted = await api.put(vote_url, json={"option": opened.json()["options"][0]}, headers=bea)
    assert voted.status_code in (200, 201), voted.text

    async def check_in(session: Any) -> None:
        user = await get_user(session, "bea")
        session.add(CheckIn(event_id=event_id, user_id=user.id))

    await instance.run(check_in)
    carol = peer.add_actor("carol")
    follow = await follow_from_peer(net, peer, carol, instance, slug)
    return LivelyGroup(slug, event_id, carol, organizer, follow)
