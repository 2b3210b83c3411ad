"""Domain blocks and the allowlist beyond the inbox (PROTOCOL.md, Moderation): a blocked
server receives no deliveries and is never contacted to look accounts up."""

from __future__ import annotations

import dataclasses

import pytest

from server.activitypub.remote import RemoteError
from server.activitypub.runtime import runtime_of
from server.app import create_app
from server.db import create_engine
from server.models import Delivery, Follow, RemoteActor
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows


async def test_blocked_server_gets_no_more_deliveries(net: FederationNet, peer: Peer) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("bob"), b, "club")
    await post_as_group(b, "club", "Queued before the block")

    # The operator adds peer.test to blocked_domains and restarts.
    federation = dataclasses.replace(b.settings.federation, blocked_domains=["peer.test"])
    settings = dataclasses.replace(b.settings, federation=federation)
    engine = create_engine(settings.database_url, settings.database.schema)
    restarted = create_app(settings, http=net.http, engine=engine, run_worker=False)
    try:
        for _ in range(5):
            if not (await runtime_of(restarted).worker.run_once()).busy:
                break
    finally:
        await engine.dispose()
    assert [r.json()["type"] for r in peer.posts()] == ["Accept"]
    [create] = [row for row in await rows(b, Delivery) if row.inbox == "https://peer.test/inbox"]
    assert create.state == "given_up"
    assert "block" in create.last_error


async def test_accounts_on_a_blocked_server_cannot_be_followed(net: FederationNet) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    a = await net.add("a", federation={"blocked_domains": ["b.test"]})
    await a.web.login_as_new("alice")
    asked = len(net.router.requests)
    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    home = await a.web.get("/home")
    assert "couldn" in home.text
    assert [r for r in net.router.requests[asked:] if r.url.host == "b.test"] == []
    assert await rows(a, Follow) == []
    assert await rows(a, RemoteActor) == []


async def test_allowlist_mode_only_fetches_from_allowed_servers(net: FederationNet) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    a = await net.add("a", federation={"mode": "allowlist", "allowed_domains": ["friends.test"]})
    remote = runtime_of(a.app).remote
    asked = len(net.router.requests)
    with pytest.raises(RemoteError, match=r"does not federate with b\.test"):
        await remote.fetch("https://b.test/groups/club")
    with pytest.raises(RemoteError, match=r"does not federate with b\.test"):
        await remote.actor_by_handle("@club@b.test")
    assert [r for r in net.router.requests[asked:] if r.url.host == "b.test"] == []
