"""The worker as ``hearth serve`` runs it: a slow inbox does not hold up other deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from server.models_federation import Delivery, Follow, RemoteActor
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
    b = await net.add("b")
    group = await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("fast"), b, "club")
    slow = SlowInbox()
    net.router.add("slow.test", slow)

    async def add_slow_follower(session) -> None:  # type: ignore[no-untyped-def]
        uri = "https://slow.test/users/turtle"
        session.add(RemoteActor(uri=uri, domain="slow.test", inbox="https://slow.test/inbox"))
        session.add(Follow(follower_uri=uri, followee_uri=group, state="accepted"))

    await b.run(add_slow_follower)
    worker = asyncio.create_task(b.app.state.worker.run_forever())
    try:
        await post_as_group(b, "club", "Chess tonight")
        b.app.state.wake_worker()
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
