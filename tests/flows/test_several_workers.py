"""Several worker processes share one database: each inbox activity is processed once and
each delivery sent once, whichever worker gets it (the claims are leases)."""

from __future__ import annotations

import asyncio

from server.activitypub.runtime import runtime_of
from server.activitypub.worker import Worker
from server.models import Follow, InboxActivity
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group, rows


async def test_two_workers_answer_each_follow_exactly_once(net: FederationNet, peer: Peer) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    followers = [peer.add_actor(f"fan{number}") for number in range(12)]
    for actor in followers:
        response = await peer.post(net.http, f"{group}/inbox", actor.activity("Follow", group))
        assert response.status_code == 202, response.text

    # Two workers on the same app state, as two `hearth worker` processes on one database.
    first, second = Worker(runtime_of(b.app)), Worker(runtime_of(b.app))
    for _ in range(6):
        await asyncio.gather(first.run_once(), second.run_once())

    processed = await rows(b, InboxActivity)
    assert len(processed) == 12
    assert all(row.processed_at is not None and row.attempts == 1 for row in processed)
    follows = await rows(b, Follow, Follow.followee_uri == group)
    assert {follow.state for follow in follows} == {"accepted"}
    accepts = [item.json() for item in peer.posts() if item.json().get("type") == "Accept"]
    accepted = sorted(accept["object"]["actor"] for accept in accepts)
    assert accepted == sorted(actor.uri for actor in followers)
