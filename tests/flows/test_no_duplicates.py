"""No duplicate deliveries without a crash (issue #15): followers on one slow host wait
behind the per-host limit for longer than the lease; the worker renews the leases it holds,
so no later claim takes those rows again and each inbox gets the activity once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from server.activitypub.runtime import runtime_of
from server.activitypub.worker import PER_HOST
from server.models import Delivery, Follow, RemoteActor
from tests.federation_net import FederationNet
from tests.flows.scenes import organize_group, post_as_group, rows
from tests.flows.test_worker_background import _until

FOLLOWERS = 24
ANSWER_SECONDS = 0.3
LEASE_SECONDS = 1


class SlowHost:
    """A server whose every inbox answers 202 after ``ANSWER_SECONDS``, counting POSTs."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
        request = Request(scope, receive)
        await request.body()
        self.received[request.url.path] += 1
        await asyncio.sleep(ANSWER_SECONDS)
        await Response(status_code=202)(scope, receive, send)


async def test_rows_waiting_behind_a_slow_host_are_delivered_once(net: FederationNet) -> None:
    b = await net.add("b", federation={"lease_seconds": LEASE_SECONDS})
    group = await organize_group(b, "club")
    slow = SlowHost()
    net.router.add("slow.test", slow)

    async def add_followers(session) -> None:  # type: ignore[no-untyped-def]
        for number in range(FOLLOWERS):
            uri = f"https://slow.test/users/u{number}"  # no shared inbox: one POST each
            session.add(RemoteActor(uri=uri, domain="slow.test", inbox=f"{uri}/inbox"))
            session.add(Follow(follower_uri=uri, followee_uri=group, state="accepted"))

    await b.run(add_followers)
    # The whole fan-out takes several leases: 24 inboxes, 4 at a time, 0.3 s each.
    assert FOLLOWERS / PER_HOST * ANSWER_SECONDS > 1.5 * LEASE_SECONDS
    worker = asyncio.create_task(runtime_of(b.app).worker.run_forever())
    try:
        await post_as_group(b, "club", "Chess tonight")

        async def all_delivered() -> bool:
            states = [d.state for d in await rows(b, Delivery)]
            return len(states) == FOLLOWERS and set(states) == {"delivered"}

        await _until(all_delivered, "every delivery to be recorded")
        await asyncio.sleep(LEASE_SECONDS + 0.5)  # time for a wrong second claim to show
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert len(slow.received) == FOLLOWERS
    assert max(slow.received.values()) == 1, slow.received.most_common(3)
