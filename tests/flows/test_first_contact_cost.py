"""A Follow from an account this server has never seen (issue #19): its key is fetched
once however many of its requests arrive together, and taking it in costs few database
transactions and statements (counted, not timed); new senders' actors fetched together are
stored together, and their key ids looked up together."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.keys import KeyPair, generate_rsa_keypair
from federation.verify import ActorKey
from server.activitypub import local
from server.activitypub.queue import MAX_INBOX_ATTEMPTS, ClaimedInbox, claim_inbox
from server.activitypub.remote import _FETCH, _Look
from server.activitypub.runtime import runtime_of
from server.models import Follow, InboxActivity, RemoteActor
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, public_pem
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
    assert tables["remote_actors"] == 0  # the follower's inbox: known from its key's fetch
    assert sum(tables.values()) <= 1 + 3 * 5
    for person in newcomers:
        [follow] = await rows(b, Follow, Follow.follower_uri == person.uri)
        assert follow.state == "accepted"
    await net.drain()
    for person in newcomers:
        [accept] = [p.json() for p in peer.posts(f"/users/{person.name}/inbox")]
        assert accept["type"] == "Accept" and accept["object"]["actor"] == person.uri


async def test_actors_fetched_together_are_stored_in_one_statement(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    remote = runtime_of(b.app).remote
    actors = [peer.add_actor(f"new{number}") for number in range(8)]
    await remote.store_actor(actors[0].document(), actors[0].uri)  # one known already
    peer.rotate_key(actors[0].name)

    with counted_statements(b) as tables:
        stored = await asyncio.gather(*(remote.store_actor(a.document(), a.uri) for a in actors))

    assert tables == {"remote_actors": 1}  # one INSERT … ON CONFLICT DO UPDATE for all
    assert [(row.uri, row.name, row.inbox) for row in stored] == [
        (a.uri, a.name.title(), a.inbox) for a in actors
    ]
    assert stored[0].public_key_pem == public_pem(actors[0].key)  # updated, not duplicated
    assert len(await rows(b, RemoteActor)) == 8


async def test_key_ids_looked_up_together_share_one_query(net: FederationNet, peer: Peer) -> None:
    b = await net.add("b")
    remote = runtime_of(b.app).remote
    known = peer.add_actor("known")
    await remote.store_actor(known.document(), known.uri)
    new = [peer.add_actor(f"new{number}") for number in range(5)]
    key_ids = [known.key_id, f"{known.uri}#key-7", *(actor.key_id for actor in new)]
    look = _Look(refresh=False, sender="203.0.113.9", tried="")

    with counted_statements(b) as tables:
        found = await asyncio.gather(
            *(remote._stored_key(key_id, look, mark=False) for key_id in key_ids)
        )

    assert tables == {"remote_actors": 1}
    assert found[0] == ActorKey(known.key_id, known.uri, public_pem(known.key))
    assert found[1:] == [_FETCH] * 6  # an unknown key id of a known actor is fetched too


async def test_a_burst_of_first_fetches_makes_one_instance_key_pair(
    net: FederationNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each fetch is signed by the instance actor, whose key pair is made on first use."""
    b = await net.add("b")
    made: list[KeyPair] = []

    def generate() -> KeyPair:
        made.append(generate_rsa_keypair())
        return made[-1]

    monkeypatch.setattr(local, "generate_rsa_keypair", generate)
    remote = runtime_of(b.app).remote
    signers = await asyncio.gather(*(remote._instance_signer() for _ in range(5)))
    assert len(made) == 1
    assert {signer.private_key_pem for signer in signers} == {made[0].private_pem}
