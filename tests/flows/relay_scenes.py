"""Steps the relay scenarios share: B's club followed by alice on A and mo on the peer, a
Mastodon-shaped post mentioning the club, and what the group sent."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from server.models import Delivery, Group, OutboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import follow_from_peer, organize_group, rows

CLUB = "https://b.test/groups/club"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def club_with_followers(
    net: FederationNet, peer: Peer, policy: str = "followers"
) -> tuple[Instance, Instance, PeerActor]:
    """B's club (posting policy ``policy``) followed by alice on A and by mo on the peer."""
    a, b = await net.add("a"), await net.add("b")
    await organize_group(b, "club")
    await set_posting_policy(b, "club", policy)
    await a.web.login_as_new("alice")
    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    mo = peer.add_actor("mo")
    await follow_from_peer(net, peer, mo, b, "club")
    await net.drain()
    peer.received.clear()
    return a, b, mo


async def set_posting_policy(instance: Instance, slug: str, policy: str) -> None:
    """Set the group's posting policy directly (the forms that set it are tested elsewhere)."""

    async def update(session: Any) -> None:
        group = (await session.exec(select(Group).where(Group.slug == slug))).one()
        group.posting_policy = policy
        session.add(group)

    await instance.run(update)


def mention_note(actor: PeerActor, number: int, text: str, **fields: Any) -> dict[str, Any]:
    note = {
        "id": f"{actor.uri}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor.uri,
        "content": f'<p><span class="h-card"><a href="{CLUB}">@club</a></span> {text}</p>',
        "to": [PUBLIC],
        "cc": [f"{actor.uri}/followers", CLUB],
        "tag": [{"type": "Mention", "href": CLUB, "name": "@club@b.test"}],
        "published": "2026-12-01T10:00:00Z",
        **fields,
    }
    return actor.activity("Create", note, to=note["to"], cc=note["cc"])


async def post_to_inbox(net: FederationNet, peer: Peer, activity: dict[str, Any]) -> None:
    response = await peer.post(net.http, "https://b.test/inbox", activity)
    assert response.status_code == 202, response.text
    await net.drain()


async def group_sent(b: Instance) -> list[tuple[str, Any, list[str]]]:
    """(type, object, delivered inboxes) of what the group published, oldest first."""
    sent = []
    for row in await rows(b, OutboxActivity, OutboxActivity.actor_uri == CLUB):
        activity = json.loads(row.body)
        inboxes = sorted(d.inbox for d in await rows(b, Delivery, Delivery.activity_id == row.id))
        sent.append((activity["type"], activity["object"], inboxes))
    return sent


def announces(sent: list[tuple[str, Any, list[str]]]) -> list[tuple[str, Any, list[str]]]:
    return [item for item in sent if item[0] in ("Announce", "Undo")]


async def another_follower(net: FederationNet, peer: Peer, b: Instance, name: str) -> PeerActor:
    """One more account on the peer that follows B's club."""
    actor = peer.add_actor(name)
    await follow_from_peer(net, peer, actor, b, "club")
    return actor
