"""A ``Join`` never lets anyone into a closed group by itself: an invitation-only group
answers a stranger's Join with a Reject and stores nothing; an approval group stores only a
pending request (no Accept, no follow, no active membership) until a moderator decides — by
id or with an embedded copy of the group; and a Join whose object names someone else's
membership is ignored."""

from __future__ import annotations

import pytest

from server.models import Follow, RemoteMember
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group, rows
from tests.security.harness import Watch, know, post_signed

CASES = {
    "join an invitation-only group": ("invite", lambda group: group, []),
    "join with an embedded group": ("invite", lambda group: {"id": group, "type": "Group"}, []),
    "join an approval group": ("approval", lambda group: group, ["pending"]),
    "join an embedded approval group": (
        "approval",
        lambda group: {"id": group, "type": "Group"},
        ["pending"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_join_to_a_closed_group_lets_nobody_in(
    net: FederationNet, peer: Peer, case: str
) -> None:
    mode, target, states = CASES[case]
    a = await net.add("a")
    group = await organize_group(a, "club", mode=mode)
    mallory = peer.add_actor("mallory")
    await know(a, mallory)
    response = await post_signed(
        net, mallory, f"{group}/inbox", mallory.activity("Join", target(group))
    )
    assert response.status_code == 202
    await net.drain()
    assert [m.state for m in await rows(a, RemoteMember)] == states
    assert await rows(a, Follow) == []
    sent = [r.json()["type"] for r in peer.posts()]
    assert sent == (["Reject"] if mode == "invite" else [])


async def test_a_join_naming_someone_elses_membership_changes_nothing(
    net: FederationNet, peer: Peer
) -> None:
    a = await net.add("a")
    group = await organize_group(a, "club", mode="invite")
    mallory = peer.add_actor("mallory")
    await know(a, mallory)
    watch = await Watch.start(net, a)
    member = {"type": "Member", "actor": "https://a.test/users/organizer", "object": group}
    response = await post_signed(net, mallory, f"{group}/inbox", mallory.activity("Join", member))
    await watch.assert_ignored(response)
