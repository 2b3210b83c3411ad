"""Forged answers: only the account that was followed can accept or reject the follow. lucy on
b asks to follow a members-approved group on a; mallory on a scripted peer answers in its
place — by the follow's id, with an embedded copy, as a Reject, or claiming to be the group."""

from __future__ import annotations

import pytest

from server.models import Follow
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group, rows
from tests.security.harness import Watch, know, post_signed

CLUB = "https://a.test/groups/club"
LUCY = "https://b.test/users/lucy"


async def _pending_follow(net: FederationNet) -> tuple[Instance, Follow]:
    a = await net.add("a")
    await organize_group(a, "club", mode="approval")
    b = await net.add("b")
    await b.web.login_as_new("lucy")
    response = await b.web.post_form("/follow", {"handle": "@club@a.test"}, csrf_from="/home")
    assert response.status_code == 303
    await net.drain()
    [follow] = await rows(b, Follow)
    assert (follow.follower_uri, follow.followee_uri, follow.state) == (LUCY, CLUB, "pending")
    return b, follow


def _answers(follow: Follow) -> dict[str, tuple[str, object]]:
    embedded = {"id": follow.activity_uri, "type": "Follow", "actor": LUCY, "object": CLUB}
    return {
        "accept by id": ("Accept", follow.activity_uri),
        "accept embedded": ("Accept", embedded),
        "accept of a made-up follow of lucy": ("Accept", {**embedded, "id": None}),
        "reject by id": ("Reject", follow.activity_uri),
        "reject embedded": ("Reject", embedded),
        "undo of lucy's follow": ("Undo", embedded),
    }


@pytest.mark.parametrize("answer", list(_answers(Follow(follower_uri="", followee_uri=""))))
async def test_a_third_party_cannot_answer_our_follow(
    net: FederationNet, peer: Peer, answer: str
) -> None:
    b, follow = await _pending_follow(net)
    mallory = peer.add_actor("mallory")
    await know(b, mallory)
    kind, obj = _answers(follow)[answer]
    watch = await Watch.start(net, b)
    response = await post_signed(net, mallory, "https://b.test/inbox", mallory.activity(kind, obj))
    await watch.assert_ignored(response)
    [unchanged] = await rows(b, Follow)
    assert unchanged.state == "pending"


async def test_an_accept_claiming_to_be_the_group_is_refused(
    net: FederationNet, peer: Peer
) -> None:
    b, follow = await _pending_follow(net)
    mallory = peer.add_actor("mallory")
    await know(b, mallory)
    accept = {**mallory.activity("Accept", follow.activity_uri), "actor": CLUB}
    watch = await Watch.start(net, b)
    response = await post_signed(net, mallory, "https://b.test/inbox", accept)
    assert response.status_code in (400, 401)
    await watch.assert_untouched()
