"""The worker is woken by the commit that queued its work (``server.db.call_after_commits``):
web and API actions, inbox POSTs; never by a transaction that rolled back, never another
app's worker, and not by the worker's own commits."""

from __future__ import annotations

import asyncio

import pytest

from server.activitypub.publish import publish
from server.activitypub.runtime import runtime_of
from server.db import transaction
from server.models import Delivery, Follow, OutboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows

WAIT_SECONDS = 10.0


def count_wakes(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """Record each time the instance's worker is woken (instead of waking it)."""
    wakes: list[None] = []
    monkeypatch.setattr(runtime_of(instance.app).worker, "wake", lambda: wakes.append(None))
    return wakes


def like_by_group(instance: Instance) -> dict[str, object]:
    group = instance.uris.group("club")
    return {"id": f"{group}/likes/1", "type": "Like", "actor": group, "object": group}


async def test_a_post_from_the_web_form_wakes_the_worker_once(
    net: FederationNet, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("fan"), b, "club")
    wakes = count_wakes(b, monkeypatch)
    await post_as_group(b, "club", "Chess tonight")
    assert len(await rows(b, Delivery)) == 2  # the Accept, then the post's Create
    assert len(wakes) == 1


async def test_a_rolled_back_transaction_wakes_nobody(
    net: FederationNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    wakes = count_wakes(b, monkeypatch)
    with pytest.raises(RuntimeError):
        async with transaction(runtime_of(b.app).sessions) as session:
            await publish(session, like_by_group(b), ["https://peer.test/inbox"])
            raise RuntimeError("changed my mind")
    assert await rows(b, OutboxActivity) == []
    assert wakes == []

    async with transaction(runtime_of(b.app).sessions) as session:
        async with session.begin_nested():  # a savepoint released is not yet a commit
            await publish(session, like_by_group(b), ["https://peer.test/inbox"])
        assert wakes == []
    assert len(wakes) == 1


async def test_an_inbox_post_wakes_its_own_apps_worker_only(
    net: FederationNet, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await net.add("a"), await net.add("b")
    group = await organize_group(b, "club")
    a_wakes, b_wakes = count_wakes(a, monkeypatch), count_wakes(b, monkeypatch)
    fan = peer.add_actor("fan")
    response = await peer.post(net.http, f"{group}/inbox", fan.activity("Follow", group))
    assert response.status_code == 202
    assert (len(a_wakes), len(b_wakes)) == (0, 1)


async def test_the_workers_own_commits_do_not_wake_it(
    net: FederationNet, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processing a Follow queues the Accept: the worker claims it itself (a wake per
    processed activity would cost an extra round, a transaction, each)."""
    b = await net.add("b")
    group = await organize_group(b, "club")
    worker = asyncio.create_task(runtime_of(b.app).worker.run_forever())
    try:
        wakes = count_wakes(b, monkeypatch)
        fan = peer.add_actor("fan")
        response = await peer.post(net.http, f"{group}/inbox", fan.activity("Follow", group))
        assert response.status_code == 202
        for _ in range(int(WAIT_SECONDS / 0.01)):  # until the Accept arrives, at most 10 s
            if peer.posts():
                break
            await asyncio.sleep(0.01)
        assert [r.json()["type"] for r in peer.posts()] == ["Accept"]
        assert [f.state for f in await rows(b, Follow)] == ["accepted"]
        assert len(wakes) == 1  # the inbox POST's commit only
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
