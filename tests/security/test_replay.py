"""Replays: a captured, genuinely signed request cannot be reused elsewhere (another inbox,
another instance, another body) or later (outside the time window); replayed verbatim to the
same inbox it is stored once and processed once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from server.activitypub.runtime import runtime_of
from server.models import Follow, InboxActivity
from tests.federation_net import FederationNet
from tests.flows.peer import AS_TYPE, digest_of, sign_cavage
from tests.flows.scenes import organize_group, rows
from tests.security.conftest import Target
from tests.security.harness import Watch, signed_post

WINDOW = timedelta(hours=1)  # signature_window_seconds' default


async def test_verbatim_replay_is_stored_and_answered_once(
    net: FederationNet, target: Target
) -> None:
    body, headers = signed_post(
        target.bob, target.inbox, target.bob.activity("Follow", target.group)
    )
    for _ in range(3):
        response = await net.http.post(target.inbox, content=body, headers=headers)
        assert response.status_code == 202
    await net.drain()
    assert len(await rows(target.b, InboxActivity)) == 1
    assert len(await rows(target.b, Follow)) == 1
    accepts = [r for r in net.router.requests if r.url.host == "peer.test" and r.method == "POST"]
    assert len(accepts) == 1


@pytest.mark.parametrize("other", ["https://b.test/inbox", "https://b.test/users/organizer/inbox"])
async def test_replay_to_another_inbox_of_the_same_instance_is_refused(
    net: FederationNet, target: Target, other: str
) -> None:
    body, headers = signed_post(
        target.bob, target.inbox, target.bob.activity("Follow", target.group)
    )
    watch = await Watch.start(net, target.b)
    response = await net.http.post(other, content=body, headers=headers)
    await watch.assert_untouched(response, 401, fetches=1)  # one refetch: a rotated key?


async def test_replay_to_another_instance_is_refused(net: FederationNet, target: Target) -> None:
    """b relays bob's signed request to a, keeping the Host header it was signed for."""
    a = await net.add("a")
    await organize_group(a, "club")
    await runtime_of(a.app).remote.actor(target.bob.uri)
    follow = target.bob.activity("Follow", "https://a.test/groups/club")
    body, headers = signed_post(target.bob, target.inbox, follow)
    watch = await Watch.start(net, a)
    response = await net.http.post(
        "https://a.test/groups/club/inbox", content=body, headers=headers
    )
    await watch.assert_untouched(response, 401)


async def test_replay_with_another_body_is_refused(net: FederationNet, target: Target) -> None:
    _, headers = signed_post(target.bob, target.inbox, target.bob.activity("Follow", target.group))
    other = json.dumps(target.bob.activity("Follow", target.group)).encode()
    watch = await Watch.start(net, target.b)
    for digest in (headers["digest"], digest_of(other)):
        response = await net.http.post(
            target.inbox, content=other, headers={**headers, "digest": digest}
        )
        assert response.status_code == 401
    await watch.assert_untouched(fetches=1)


@pytest.mark.parametrize(
    "age",
    [WINDOW + timedelta(minutes=1), timedelta(hours=12), -WINDOW - timedelta(minutes=1)],
    ids=["just-past-the-window", "twelve-hours-old", "from-the-future"],
)
async def test_replay_outside_the_time_window_is_refused(
    net: FederationNet, target: Target, age: timedelta
) -> None:
    body, headers = signed_post(
        target.bob,
        target.inbox,
        target.bob.activity("Follow", target.group),
        date=datetime.now(UTC) - age,
    )
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    await watch.assert_untouched(response, 401)
    assert "window" in response.json()["error"]


async def test_a_signature_inside_the_window_is_accepted(
    net: FederationNet, target: Target
) -> None:
    body, headers = signed_post(
        target.bob,
        target.inbox,
        target.bob.activity("Follow", target.group),
        date=datetime.now(UTC) - WINDOW + timedelta(minutes=5),
    )
    response = await net.http.post(target.inbox, content=body, headers=headers)
    assert response.status_code == 202


async def test_signed_fetch_replayed_to_another_instance_is_refused(
    net: FederationNet, target: Target
) -> None:
    """Authorized fetch: a GET signed for b is no pass for a's members-only documents."""
    a = await net.add("a", federation={"authorized_fetch": True})
    await organize_group(a, "club")
    await runtime_of(a.app).remote.actor(target.bob.uri)
    url = "https://a.test/groups/club/followers"
    headers = sign_cavage(
        target.bob.key,
        target.bob.key_id,
        "GET",
        "https://b.test/groups/club/followers",
        b"",
        signed=("(request-target)", "host", "date"),
    )
    watch = await Watch.start(net, a)
    response = await net.http.get(url, headers={**headers, "accept": AS_TYPE})
    await watch.assert_untouched(response, 401)
