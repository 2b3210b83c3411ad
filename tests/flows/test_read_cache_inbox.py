"""An inbox POST only stores the activity: the public reads cached by the read cache stay
cached through a burst of them, and the worker round that applies the activities empties
the cache (``server.web.read_cache``)."""

from __future__ import annotations

from server.activitypub.runtime import runtime_of
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group

AS_TYPE = "application/activity+json"


async def test_inbox_posts_leave_reads_cached_until_the_worker_applies_them(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")

    async def read_group() -> bool:
        response = await net.http.get(group, headers={"Accept": AS_TYPE})
        assert response.status_code == 200
        return response.headers.get("x-cache") == "hit"

    assert not await read_group()
    assert await read_group()
    for name in ("ann", "bob", "cy"):
        fan = peer.add_actor(name)
        response = await peer.post(net.http, f"{group}/inbox", fan.activity("Follow", group))
        assert response.status_code == 202
    assert await read_group()  # stored, not applied yet: nothing readable changed

    await runtime_of(b.app).worker.run_once()

    assert [r.json()["type"] for r in peer.posts()] == ["Accept"] * 3
    assert not await read_group()
