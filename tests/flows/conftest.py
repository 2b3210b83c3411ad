"""Fixtures for multi-instance federation scenarios."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import DatabaseFactory
from tests.federation_net import FederationNet
from tests.flows.mastodon_peer import MastodonPeer
from tests.flows.peer import Peer


@pytest.fixture
async def net(tmp_path: Path, database_factory: DatabaseFactory) -> AsyncIterator[FederationNet]:
    network = FederationNet(tmp_path, database_factory)
    yield network
    await network.close()
    await database_factory.drop_all()


@pytest.fixture
def peer(net: FederationNet) -> Peer:
    """A scripted remote server at ``peer.test`` (see ``tests.flows.peer``)."""
    server = Peer("peer.test")
    net.router.add(server.host, server.app)
    return server


@pytest.fixture
def mastodon(net: FederationNet) -> MastodonPeer:
    """A Mastodon in secure mode at ``mastodon.test`` (see ``tests.flows.mastodon_peer``)."""
    server = MastodonPeer("mastodon.test", net.http)
    net.router.add(server.host, server.app)
    return server
