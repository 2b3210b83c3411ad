"""A Follow from an account this server has never seen (issue #19): its key is fetched
once however many of its requests arrive together, and taking it in costs few database
transactions and statements (counted, not timed)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.queue import MAX_INBOX_ATTEMPTS, ClaimedInbox, claim_inbox
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


async def claimed_follows(instance: Instance) -> list[ClaimedInbox]:
    """Claim the stored activities as the worker does (one transaction)."""

    async def claim(session: AsyncSession) -> list[ClaimedInbox]:
        return await claim_inbox(session, limit=100, max_attempts=MAX_INBOX_ATTEMPTS)

    return list(await instance.run(claim))


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
    with counted_transactions(b) as processed:
        [claimed] = await claimed_follows(b)
        await runtime_of(b.app).worker.processor.process(claimed)

    # Verifying: one lookup of the unknown key, storing the fetched actor, storing the
    # activity. Processing: claiming it (with its body), then following and recording in
    # one commit.
    assert received[0] <= 3
    assert processed[0] <= 2
    [follow] = await rows(b, Follow, Follow.follower_uri == bob.uri)
    assert follow.state == "accepted"
    await net.drain()
    assert [p.json()["type"] for p in peer.posts("/users/bob/inbox")] == ["Accept"]


@contextmanager
def counted_statements(instance: Instance) -> Iterator[Counter[str]]:
    """Counts the SQL statements run on the instance's database inside the block, by the
    first table each names (``FROM``, ``INTO``, ``UPDATE``)."""
    tables: Counter[str] = Counter()

    def on_execute(conn: object, cursor: object, statement: str, *rest: object) -> None:
        found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement)
        tables[found.group(1) if found else statement.split(" ", 1)[0]] += 1

    event.listen(instance.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield tables
    finally:
        event.remove(instance.engine.sync_engine, "before_cursor_execute", on_execute)


async def test_new_followers_follows_read_the_group_once_and_write_each_row_once(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("ann"), b, "club")  # a warm server
    newcomers = [peer.add_actor(f"new{index}") for index in range(3)]
    for person in newcomers:
        answer = await peer.post(net.http, f"{group}/inbox", person.activity("Follow", group))
        assert answer.status_code == 202

    with counted_statements(b) as tables:
        claimed = await claimed_follows(b)
        for item in claimed:
            await runtime_of(b.app).worker.processor.process(item)

    assert len(claimed) == 3
    assert tables["groups"] <= 3  # the followed group, once per Follow
    assert tables["follows"] == 3  # one insert each, no read, no second write
    assert tables["inbox_activities"] == 1 + 3  # the claim (with the bodies), each outcome
    assert tables["remote_actors"] <= 3  # the follower's inbox
    assert sum(tables.values()) <= 1 + 3 * 6
    for person in newcomers:
        [follow] = await rows(b, Follow, Follow.follower_uri == person.uri)
        assert follow.state == "accepted"
    await net.drain()
    for person in newcomers:
        [accept] = [p.json() for p in peer.posts(f"/users/{person.name}/inbox")]
        assert accept["type"] == "Accept" and accept["object"]["actor"] == person.uri
