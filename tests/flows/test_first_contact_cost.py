"""A Follow from an account this server has never seen (issue #19): its key is fetched
once however many of its requests arrive together, and taking it in costs few database
transactions (counted, not timed)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from server.activitypub.runtime import runtime_of
from server.models import Follow, InboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group, rows


@contextmanager
def counted_transactions(instance: Instance) -> Iterator[list[int]]:
    """Counts the transactions begun on the instance's database inside the block."""
    begun = [0]

    def on_begin(connection: object) -> None:
        begun[0] += 1

    event.listen(instance.engine.sync_engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(instance.engine.sync_engine, "begin", on_begin)


async def test_concurrent_requests_signed_by_a_new_key_share_one_fetch(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    dana = peer.add_actor("dana")
    activities = [dana.activity("Like", group) for _ in range(10)]
    answers = await asyncio.gather(
        *(peer.post(net.http, f"{group}/inbox", activity) for activity in activities)
    )
    assert [r.status_code for r in answers] == [202] * 10
    assert peer.actor_fetches["dana"] == 1
    assert len(await rows(b, InboxActivity)) == 10


async def test_a_new_followers_follow_costs_few_transactions(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("ann"), b, "club")  # a warm server
    bob = peer.add_actor("bob")

    with counted_transactions(b) as received:
        answer = await peer.post(net.http, f"{group}/inbox", bob.activity("Follow", group))
    assert answer.status_code == 202
    assert peer.actor_fetches["bob"] == 1
    [stored] = [r for r in await rows(b, InboxActivity) if r.processed_at is None]
    with counted_transactions(b) as processed:
        await runtime_of(b.app).worker.processor.process(stored.id)

    # Verifying: one lookup of the unknown key, storing the fetched actor, storing the
    # activity. Processing: reading it, then following and recording in one commit.
    assert received[0] <= 3
    assert processed[0] <= 2
    [follow] = await rows(b, Follow, Follow.follower_uri == bob.uri)
    assert follow.state == "accepted"
    await net.drain()
    assert [p.json()["type"] for p in peer.posts("/users/bob/inbox")] == ["Accept"]
