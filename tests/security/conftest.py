"""Fixtures of the adversarial suite: the federation network and the scripted peer of the
flow tests, a group to attack on ``b.test``, and a hostile server at ``evil.test``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.activitypub.runtime import runtime_of
from tests.federation_net import FederationNet, Instance
from tests.flows.conftest import net, peer  # noqa: F401  (shared fixtures)
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import organize_group
from tests.security.hostile import Hostile


@dataclass
class Target:
    """``b.test`` with an open group ``club`` and a known peer account ``bob``."""

    b: Instance
    group: str
    bob: PeerActor

    @property
    def inbox(self) -> str:
        return f"{self.group}/inbox"


@pytest.fixture
async def target(net: FederationNet, peer: Peer) -> Target:  # noqa: F811
    b = await net.add("b")
    group = await organize_group(b, "club")
    bob = peer.add_actor("bob")
    await runtime_of(b.app).remote.actor(bob.uri)  # bob's key is known before any attack
    return Target(b, group, bob)


@pytest.fixture
def evil(net: FederationNet) -> Hostile:  # noqa: F811
    """A hostile server at ``evil.test`` that serves whatever the test scripts."""
    server = Hostile("evil.test")
    net.router.add(server.host, server.app)
    return server
