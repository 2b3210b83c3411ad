"""A Follow from someone the group already knows: an accepted follower who follows again
(Mastodon re-sends its Follow) is accepted again, answering the new Follow; a follower
carried over from a moved group's old home is accepted without a moderator; a pending
request asked again still waits for one (and the moderators hear of it)."""

from __future__ import annotations

from typing import Any

from server.models import Follow, FollowState, Notification, RemoteMember
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import JsonObject, Peer, PeerActor
from tests.flows.scenes import organize_group, rows


async def _send(net: FederationNet, peer: Peer, group: str, activity: JsonObject) -> None:
    assert (await peer.post(net.http, f"{group}/inbox", activity)).status_code == 202
    await net.drain()


def _answers(peer: Peer, actor: PeerActor) -> list[JsonObject]:
    return [r.json() for r in peer.posts(f"/users/{actor.name}/inbox")]


async def _follows(instance: Instance, actor: PeerActor) -> list[tuple[str, str]]:
    return [
        (f.state, f.activity_uri)
        for f in await rows(instance, Follow, Follow.follower_uri == actor.uri)
    ]


async def test_an_accepted_follower_who_follows_again_is_accepted_again(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    ann = peer.add_actor("ann")
    first, again = ann.activity("Follow", group), ann.activity("Follow", group)
    await _send(net, peer, group, first)
    await _send(net, peer, group, again)

    assert await _follows(b, ann) == [("accepted", again["id"])]
    accepts = _answers(peer, ann)
    assert [(a["type"], a["object"]["id"]) for a in accepts] == [
        ("Accept", first["id"]),
        ("Accept", again["id"]),
    ]
    assert accepts[0]["id"] != accepts[1]["id"]


async def test_a_follower_carried_over_from_the_old_home_is_accepted_without_asking(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club", mode="approval")
    carol = peer.add_actor("carol")

    async def carried_over(session: Any) -> None:  # as a group archive's import leaves it
        session.add(Follow(follower_uri=carol.uri, followee_uri=group, state=FollowState.MOVING))

    await b.run(carried_over)
    follow = carol.activity("Follow", group)
    await _send(net, peer, group, follow)

    assert await _follows(b, carol) == [("accepted", follow["id"])]
    assert [(a["type"], a["object"]["id"]) for a in _answers(peer, carol)] == [
        ("Accept", follow["id"])
    ]
    [member] = await rows(b, RemoteMember)
    assert (member.actor_uri, member.state, member.via) == (carol.uri, "active", "follow")


async def test_a_pending_follow_asked_again_still_waits_for_a_moderator(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club", mode="approval")
    mo = peer.add_actor("mo")
    first, again = mo.activity("Follow", group), mo.activity("Follow", group)
    await _send(net, peer, group, first)
    await _send(net, peer, group, again)

    assert await _follows(b, mo) == [("pending", again["id"])]
    assert _answers(peer, mo) == []
    assert await rows(b, RemoteMember) == []
    requests = [n for n in await rows(b, Notification) if n.kind == "follow_request"]
    assert len(requests) == 2  # the organizer heard of each
