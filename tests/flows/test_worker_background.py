"""The worker as ``hearth serve`` runs it: a slow inbox does not hold up other deliveries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from starlette.requests import Request
from starlette.responses import Response

from server.activitypub import worker as worker_module
from server.activitypub.runtime import runtime_of
from server.models import Delivery, Follow, InboxActivity, RemoteActor
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows

WAIT_SECONDS = 10.0


class SlowInbox:
    """An inbox that answers only when the test opens the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.arrived = asyncio.Event()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
        request = Request(scope, receive)
        await request.body()
        self.arrived.set()
        await self.gate.wait()
        await Response(status_code=202)(scope, receive, send)


async def club_with_a_slow_follower(net: FederationNet) -> tuple[Instance, str, SlowInbox]:
    """Instance b with a group "club" followed by an account on slow.test (a SlowInbox)."""
    b = await net.add("b")
    group = await organize_group(b, "club")
    slow = SlowInbox()
    net.router.add("slow.test", slow)

    async def add_slow_follower(session) -> None:  # type: ignore[no-untyped-def]
        uri = "https://slow.test/users/turtle"
        session.add(RemoteActor(uri=uri, domain="slow.test", inbox="https://slow.test/inbox"))
        session.add(Follow(follower_uri=uri, followee_uri=group, state="accepted"))

    await b.run(add_slow_follower)
    return b, group, slow


async def _states(instance: Instance) -> dict[str, str]:
    return {d.host: d.state for d in await rows(instance, Delivery)}


async def _until(condition: Callable[[], object], what: str) -> None:
    """Await a condition the worker brings about, for at most WAIT_SECONDS (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while loop.time() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_slow_inbox_does_not_delay_the_others(net: FederationNet, peer: Peer) -> None:
    b, _, slow = await club_with_a_slow_follower(net)
    await follow_from_peer(net, peer, peer.add_actor("fast"), b, "club")
    worker = asyncio.create_task(runtime_of(b.app).worker.run_forever())
    try:
        await post_as_group(b, "club", "Chess tonight")
        await asyncio.wait_for(slow.arrived.wait(), WAIT_SECONDS)

        async def fast_delivered() -> bool:
            return (await _states(b)).get("peer.test") == "delivered"

        await _until(fast_delivered, "the fast inbox's delivery to be recorded")
        assert (await _states(b))["slow.test"] == "pending"  # still in flight behind the gate
        assert any(r.json()["type"] == "Create" for r in peer.posts())

        slow.gate.set()

        async def slow_delivered() -> bool:
            return (await _states(b)).get("slow.test") == "delivered"

        await _until(slow_delivered, "the slow inbox's delivery to be recorded")
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_dead_inboxes_give_their_slots_back(
    net: FederationNet, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for two deliveries at a time and two inboxes that never answer, the other
    followers are still served: a delivery waiting too long stops taking a slot."""
    monkeypatch.setattr(worker_module, "SLOW_AFTER_SECONDS", 0.05)
    b = await net.add("b")
    group = await organize_group(b, "club")
    dead = [SlowInbox(), SlowInbox()]
    for number, inbox in enumerate(dead):
        net.router.add(f"dead{number}.test", inbox)

    async def add_followers(session, hosts: list[str]) -> None:  # type: ignore[no-untyped-def]
        for host in hosts:
            uri = f"https://{host}/users/someone"
            session.add(RemoteActor(uri=uri, domain=host, inbox=f"https://{host}/inbox"))
            session.add(Follow(follower_uri=uri, followee_uri=group, state="accepted"))

    for number in range(5):
        net.router.add(f"alive{number}.test", peer.app)
    await b.run(lambda session: add_followers(session, [f"dead{n}.test" for n in range(2)]))
    runtime_of(b.app).worker.set_concurrency(2)
    worker = asyncio.create_task(runtime_of(b.app).worker.run_forever())
    try:
        # First the two dead inboxes take both slots...
        await post_as_group(b, "club", "Anyone there?")
        for inbox in dead:
            await asyncio.wait_for(inbox.arrived.wait(), WAIT_SECONDS)
        # ...then five live followers join and the next post must still reach them.
        await b.run(lambda session: add_followers(session, [f"alive{n}.test" for n in range(5)]))
        await post_as_group(b, "club", "Anyone alive?")

        async def alive_delivered() -> bool:
            states = await _states(b)
            return all(states.get(f"alive{n}.test") == "delivered" for n in range(5))

        await _until(alive_delivered, "the live followers' deliveries")
        pending = [d for d in await rows(b, Delivery) if d.host.startswith("dead")]
        assert {d.state for d in pending} == {"pending"}
    finally:
        for inbox in dead:
            inbox.gate.set()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_activities_stored_by_another_process_are_processed_during_deliveries(
    net: FederationNet, peer: Peer
) -> None:
    """While deliveries are under way the worker looks at the inbox table only now and then
    (a local inbox POST wakes it at once); an activity another process stored, without
    waking it, is still processed while a delivery hangs."""
    b, group, slow = await club_with_a_slow_follower(net)
    worker = asyncio.create_task(runtime_of(b.app).worker.run_forever())
    try:
        await post_as_group(b, "club", "Chess tonight")
        await asyncio.wait_for(slow.arrived.wait(), WAIT_SECONDS)
        bob = "https://peer.test/users/bob"
        like = {"id": f"{bob}/likes/1", "type": "Like", "actor": bob, "object": group}

        async def store_elsewhere(session) -> None:  # type: ignore[no-untyped-def]
            row = InboxActivity(activity_uri=like["id"], actor_uri=bob, type="Like", body="")
            row.body = json.dumps(like)
            session.add(row)

        await b.run(store_elsewhere)

        async def processed() -> bool:
            return all(row.processed_at for row in await rows(b, InboxActivity))

        await _until(processed, "the stored activity to be processed")
        assert (await _states(b))["slow.test"] == "pending"  # the delivery still hangs
    finally:
        slow.gate.set()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_deliveries_flow_while_the_inbox_waits_on_a_remote_fetch(
    net: FederationNet, peer: Peer
) -> None:
    """An activity from an unknown actor whose server hangs keeps the inbox side busy; a
    post queued meanwhile still reaches its follower (inbox processing and deliveries are
    scheduled apart, as in a burst of Follows from new servers)."""
    b = await net.add("b")
    group = await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("fast"), b, "club")
    hanging = SlowInbox()  # answers the actor fetch only when the gate opens
    net.router.add("slow.test", hanging)
    turtle = "https://slow.test/users/turtle"
    like = {"id": f"{turtle}/likes/1", "type": "Like", "actor": turtle, "object": group}

    async def store_like(session) -> None:  # type: ignore[no-untyped-def]
        row = InboxActivity(activity_uri=like["id"], actor_uri=turtle, type="Like", body="")
        row.body = json.dumps(like)
        session.add(row)

    await b.run(store_like)
    worker = asyncio.create_task(runtime_of(b.app).worker.run_forever())
    try:
        runtime_of(b.app).worker.wake()
        await asyncio.wait_for(hanging.arrived.wait(), WAIT_SECONDS)  # the fetch hangs
        await post_as_group(b, "club", "Chess tonight")

        async def delivered() -> bool:
            return (await _states(b)).get("peer.test") == "delivered"

        await _until(delivered, "the post's delivery while the inbox waits")
        assert any(r.json()["type"] == "Create" for r in peer.posts())
        like_row = [r for r in await rows(b, InboxActivity) if r.activity_uri == like["id"]]
        assert like_row[0].attempts == 0  # not even tried to the end: slow.test still hangs
    finally:
        hanging.gate.set()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_a_worker_cancelled_as_it_is_woken_stops(
    net: FederationNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopping the server cancels the worker; a wake-up landing at the same moment must not
    swallow the cancellation (Python 3.11's ``asyncio.wait_for`` did: the worker idled on
    and the shutdown waited for ever)."""
    b = await net.add("b")
    worker = runtime_of(b.app).worker
    idling = asyncio.Event()
    idle = worker._idle

    async def watched_idle() -> None:
        idling.set()
        await idle()

    monkeypatch.setattr(worker, "_idle", watched_idle)
    for _ in range(3):
        idling.clear()
        task = asyncio.create_task(worker.run_forever())
        async with asyncio.timeout(WAIT_SECONDS):
            await idling.wait()
        await asyncio.sleep(0)  # inside the wait for a wake-up
        worker.wake()
        task.cancel()
        async with asyncio.timeout(WAIT_SECONDS):
            await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
