"""Inbox pacing: while the worker is too far behind, an inbox POST is stored first and then
answered only once the worker catches up (or after a short wait at most), so a burst is sent
at the pace it is processed and each Follow's Accept goes out soon after it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from server.activitypub import inbox_pace, worker
from server.activitypub.inbox_pace import InboxPace
from server.activitypub.runtime import runtime_of
from server.db import utcnow
from server.models import Follow, InboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group, rows
from tests.security.harness import signed_post


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """POSTs wait as long as it takes: only the worker catching up releases them."""
    monkeypatch.setattr(inbox_pace, "MAX_WAIT_SECONDS", 60.0)


def _behind(pace: InboxPace, seconds: float = 3.0) -> None:
    """The worker says it claimed a full batch whose newest activity waited ``seconds``."""
    now = utcnow()
    pace.note_claimed([now - timedelta(seconds=seconds)], now, full=True)


@dataclass
class Burst:
    """Follows POSTed to ``club`` on b.test while its worker says it is behind."""

    b: Instance
    posting: list[asyncio.Task[httpx.Response]]

    @classmethod
    async def start(cls, net: FederationNet, peer: Peer, followers: int) -> Burst:
        b = await net.add("b")
        group = await organize_group(b, "club")
        _behind(runtime_of(b.app).inbox_pace)
        actors = [peer.add_actor(f"fan{n}") for n in range(followers)]
        posts = [signed_post(a, f"{group}/inbox", a.activity("Follow", group)) for a in actors]
        posting = [
            asyncio.create_task(net.http.post(f"{group}/inbox", content=body, headers=headers))
            for body, headers in posts
        ]
        return cls(b, posting)

    async def answers(self) -> list[int]:
        """The POSTs' statuses, once they are all answered."""
        return [r.status_code for r in await asyncio.wait_for(asyncio.gather(*self.posting), 5)]


@pytest.mark.usefixtures("patient")
async def test_a_post_waits_while_the_worker_is_behind_and_is_stored_first(
    net: FederationNet, peer: Peer
) -> None:
    burst = await Burst.start(net, peer, 1)
    for _ in range(200):  # the activity is committed before the POST starts waiting
        if await rows(burst.b, InboxActivity):
            break
        await asyncio.sleep(0.01)
    assert len(await rows(burst.b, InboxActivity)) == 1
    await asyncio.sleep(0.05)
    assert not burst.posting[0].done()  # still waiting for the worker

    runtime_of(burst.b.app).inbox_pace.note_claimed([utcnow()], utcnow(), full=True)  # caught up
    assert await burst.answers() == [202]
    await net.drain()
    assert [follow.state for follow in await rows(burst.b, Follow)] == ["accepted"]


@pytest.mark.usefixtures("patient")
async def test_the_worker_draining_a_burst_releases_the_waiting_posts(
    net: FederationNet, peer: Peer
) -> None:
    burst = await Burst.start(net, peer, 3)
    await asyncio.sleep(0.1)
    assert not any(task.done() for task in burst.posting)
    await runtime_of(burst.b.app).worker.run_once()  # claims them: not a full batch, not behind
    assert await burst.answers() == [202, 202, 202]


async def test_a_post_is_answered_after_the_longest_wait_if_the_worker_stays_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inbox_pace, "MAX_WAIT_SECONDS", 0.05)
    pace = InboxPace()
    _behind(pace)
    await asyncio.wait_for(pace.wait_for_worker(), 2)
    assert pace.behind  # answered anyway; the worker has not caught up


def test_only_a_full_batch_of_activities_that_waited_too_long_holds_posts_back() -> None:
    pace = InboxPace()
    now = utcnow()
    long_ago = now - timedelta(seconds=inbox_pace.LAG_TARGET_SECONDS + 1)
    pace.note_claimed([long_ago], now, full=False)  # the last of a backlog: caught up
    assert not pace.behind
    pace.note_claimed([long_ago, now], now, full=True)  # the newest came just now
    assert not pace.behind
    pace.note_claimed([], now, full=True)  # only retries of old activities
    assert not pace.behind
    pace.note_claimed([long_ago], now, full=True)
    assert pace.behind


def test_a_lag_not_said_again_lately_holds_nobody_back(monkeypatch: pytest.MonkeyPatch) -> None:
    pace = InboxPace()
    _behind(pace)
    assert pace.behind
    monkeypatch.setattr(inbox_pace, "STALE_SECONDS", 0.0)  # a worker stopped or stuck
    assert not pace.behind


@pytest.mark.parametrize(("attempts", "held_back"), [(0, True), (1, False)])
async def test_the_worker_says_it_is_behind_only_for_activities_never_tried(
    net: FederationNet, monkeypatch: pytest.MonkeyPatch, attempts: int, held_back: bool
) -> None:
    """A full batch of activities that came long ago means a backlog; a batch of retries
    (they came long ago and failed since) does not."""
    monkeypatch.setattr(worker, "INBOX_BATCH", 2)
    b = await net.add("b")
    long_ago = utcnow() - timedelta(minutes=5)

    async def add(session) -> None:  # type: ignore[no-untyped-def]
        for n in range(2):
            uri = f"https://peer.test/likes/{n}"
            session.add(
                InboxActivity(
                    activity_uri=uri,
                    actor_uri="https://peer.test/users/bob",
                    type="Like",
                    body=json.dumps(
                        {"id": uri, "type": "Like", "actor": "https://peer.test/users/bob"}
                    ),
                    received_at=long_ago,
                    attempts=attempts,
                )
            )

    await b.run(add)
    pace = runtime_of(b.app).inbox_pace
    said: list[bool] = []  # behind or not, after each claim (the last finds nothing left)
    note_claimed = pace.note_claimed

    def noting(*args: Any, **kwargs: Any) -> None:
        note_claimed(*args, **kwargs)
        said.append(pace.behind)

    monkeypatch.setattr(pace, "note_claimed", noting)
    await runtime_of(b.app).worker.run_once()
    assert said[0] is held_back
    assert said[-1] is False
