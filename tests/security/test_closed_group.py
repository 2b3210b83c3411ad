"""A ``Join`` to a group that does not let people in that way changes nothing: no membership,
no follow, nothing sent back — for invitation-only and approval groups, by id or with an
embedded copy of the group, and for a Join another server's account sends in a member's name.
(Mobilizon's Join is not taken as a way in: a Mastodon-shaped approved follow is.)"""

from __future__ import annotations

import pytest

from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group
from tests.security.harness import Watch, know, post_signed

CASES = {
    "join an invitation-only group": ("invite", lambda group: group),
    "join an approval group": ("approval", lambda group: group),
    "join with an embedded group": ("invite", lambda group: {"id": group, "type": "Group"}),
    "join naming another member": (
        "invite",
        lambda group: {
            "type": "Member",
            "actor": "https://a.test/users/organizer",
            "object": group,
        },
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_join_to_a_closed_group_changes_nothing(
    net: FederationNet, peer: Peer, case: str
) -> None:
    mode, target = CASES[case]
    a = await net.add("a")
    group = await organize_group(a, "club", mode=mode)
    mallory = peer.add_actor("mallory")
    await know(a, mallory)
    watch = await Watch.start(net, a)
    response = await post_signed(
        net, mallory, f"{group}/inbox", mallory.activity("Join", target(group))
    )
    await watch.assert_ignored(response)
