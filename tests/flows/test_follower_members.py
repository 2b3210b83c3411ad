"""A Mastodon user becomes a member of an approving group through an approved follow, and
stops being one when they unfollow; following an open group makes a follower, not a member."""

from __future__ import annotations

from server.models import RemoteMember
from tests.federation_net import FederationNet
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import approve_follow_requests, organize_group, rows


async def _follow(net: FederationNet, peer: Peer, actor: PeerActor, group: str) -> dict:  # type: ignore[type-arg]
    follow = actor.activity("Follow", group)
    assert (await peer.post(net.http, f"{group}/inbox", follow)).status_code == 202
    await net.drain()
    return follow


async def test_approved_follow_makes_a_member_and_unfollow_ends_it(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club", mode="approval")
    mo = peer.add_actor("mo")
    follow = await _follow(net, peer, mo, group)
    assert await rows(b, RemoteMember) == []  # waiting for a moderator
    assert await approve_follow_requests(b, "club") == 1
    await net.drain()
    [member] = await rows(b, RemoteMember)
    assert (member.actor_uri, member.state, member.via) == (mo.uri, "active", "follow")
    assert any(item.json()["type"] == "Accept" for item in peer.posts())

    undo = mo.activity("Undo", follow)
    assert (await peer.post(net.http, f"{group}/inbox", undo)).status_code == 202
    await net.drain()
    assert await rows(b, RemoteMember) == []


async def test_following_an_open_group_is_not_membership(net: FederationNet, peer: Peer) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club", mode="open")
    await _follow(net, peer, peer.add_actor("mo"), group)
    assert await rows(b, RemoteMember) == []
