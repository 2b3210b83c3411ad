"""What a peer sees when it POSTs something odd to an inbox: a clear 4xx for what cannot be
an activity, 202 once (and one processing) for the same activity twice, a quiet 202 for
what we don't handle, and 403 for a domain this instance does not federate with."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.models import Follow, InboxActivity, RemoteActor
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_CONTEXT, AS_TYPE, Peer, sign_cavage
from tests.flows.scenes import follow_from_peer, organize_group, rows

INBOX = "https://b.test/groups/club/inbox"


async def _club(net: FederationNet, **sections: dict[str, Any]) -> Instance:
    b = await net.add("b", **sections)
    await organize_group(b, "club")
    return b


async def _nothing_stored(b: Instance) -> None:
    assert await rows(b, InboxActivity) == []
    assert await rows(b, Follow) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"type": "Follow", "actor": ', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"Follow"', "must be a JSON object"),
        (
            b'{"type": "Follow", "object": "https://b.test/groups/club"}',
            "needs a type and an actor",
        ),
    ],
)
async def test_what_is_not_an_activity_is_a_400(
    net: FederationNet, peer: Peer, body: bytes, reason: str
) -> None:
    b = await _club(net)
    bob = peer.add_actor("bob")
    response = await peer.post_bytes(net.http, INBOX, body, bob)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    await _nothing_stored(b)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_wrong_content_type_is_a_415(
    net: FederationNet, peer: Peer, content_type: str
) -> None:
    b = await _club(net)
    bob = peer.add_actor("bob")
    body = json.dumps(bob.activity("Follow", "https://b.test/groups/club")).encode()
    headers = sign_cavage(bob.key, bob.key_id, "POST", INBOX, body)
    headers["content-type"] = content_type
    response = await net.http.post(INBOX, content=body, headers=headers)
    assert response.status_code == 415
    await _nothing_stored(b)


@pytest.mark.parametrize(
    "content_type",
    [AS_TYPE, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'],
)
async def test_both_activitystreams_media_types_are_accepted(
    net: FederationNet, peer: Peer, content_type: str
) -> None:
    await _club(net)
    bob = peer.add_actor("bob")
    body = json.dumps(bob.activity("Follow", "https://b.test/groups/club")).encode()
    headers = {
        **sign_cavage(
            bob.key,
            bob.key_id,
            "POST",
            INBOX,
            body,
            signed=("(request-target)", "host", "date", "digest"),
        ),
        "content-type": content_type,
    }
    response = await net.http.post(INBOX, content=body, headers=headers)
    assert response.status_code == 202, response.text


async def test_body_over_the_limit_is_a_413_declared_or_streamed(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, federation={"max_inbox_bytes": 2048})
    bob = peer.add_actor("bob")
    follow = bob.activity("Follow", "https://b.test/groups/club")
    big = json.dumps({**follow, "padding": "x" * 4096}).encode()
    headers = sign_cavage(bob.key, bob.key_id, "POST", INBOX, big)

    declared = await net.http.post(INBOX, content=big, headers=headers)
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    streamed = await net.http.post(INBOX, content=chunks(), headers=headers)
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert peer.actor_fetches["bob"] == 0  # refused before any signature work
    await _nothing_stored(b)

    small = await peer.post(net.http, INBOX, follow)
    assert small.status_code == 202


async def test_the_same_activity_twice_is_accepted_and_processed_once(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net)
    bob = peer.add_actor("bob")
    follow = bob.activity("Follow", "https://b.test/groups/club")
    first = await peer.post(net.http, INBOX, follow)
    second = await peer.post(net.http, "https://b.test/inbox", follow)
    assert (first.status_code, second.status_code) == (202, 202)
    await net.drain()
    late = await peer.post(net.http, INBOX, follow)
    assert late.status_code == 202
    await net.drain()

    assert [row.activity_uri for row in await rows(b, InboxActivity)] == [follow["id"]]
    assert [r.json()["type"] for r in peer.posts()] == ["Accept"]


async def test_unknown_activity_type_is_accepted_and_ignored(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net)
    bob = peer.add_actor("bob")
    bite = bob.activity("Bite", "https://b.test/groups/club")
    response = await peer.post(net.http, INBOX, bite)
    assert response.status_code == 202
    await net.drain()
    [row] = await rows(b, InboxActivity)
    assert (row.type, row.processed_at is not None) == ("Bite", True)
    assert row.result.startswith("ignored")
    assert peer.posts() == []


async def test_delete_of_an_unknown_actor_is_accepted_without_a_fetch(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net)
    ghost = peer.add_actor("ghost")
    peer.gone.add("ghost")  # Mastodon sends Delete{actor} after the account is gone
    delete = {
        "@context": AS_CONTEXT,
        "id": f"{ghost.uri}#delete",
        "type": "Delete",
        "actor": ghost.uri,
        "object": ghost.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    response = await peer.post(net.http, "https://b.test/inbox", delete)
    assert response.status_code == 202
    await net.drain()
    assert not [r for r in net.router.requests if r.url.host == "peer.test"]
    assert peer.actor_fetches["ghost"] == 0
    assert await rows(b, InboxActivity) == []
    assert await rows(b, RemoteActor) == []


@pytest.mark.parametrize(
    "federation",
    [
        {"blocked_domains": ["peer.test"]},
        {"mode": "blocklist", "blocked_domains": ["test"]},
        {"mode": "allowlist", "allowed_domains": ["friends.test"]},
    ],
    ids=["blocked", "parent-domain-blocked", "not-on-allowlist"],
)
async def test_a_domain_we_do_not_federate_with_gets_a_403(
    net: FederationNet, peer: Peer, federation: dict[str, Any]
) -> None:
    b = await _club(net, federation=federation)
    bob = peer.add_actor("bob")
    for inbox in (INBOX, "https://b.test/inbox"):
        response = await peer.post(
            net.http, inbox, bob.activity("Follow", "https://b.test/groups/club")
        )
        assert response.status_code == 403
    await net.drain()
    assert peer.actor_fetches["bob"] == 0
    assert peer.posts() == []
    await _nothing_stored(b)


async def test_allowlisted_domain_is_accepted(net: FederationNet, peer: Peer) -> None:
    b = await _club(net, federation={"mode": "allowlist", "allowed_domains": ["peer.test"]})
    bob = peer.add_actor("bob")
    response = await peer.post(
        net.http, INBOX, bob.activity("Follow", "https://b.test/groups/club")
    )
    assert response.status_code == 202
    await net.drain()
    assert [follow.state for follow in await rows(b, Follow)] == ["accepted"]


async def test_an_activity_id_from_another_server_cannot_be_claimed(
    net: FederationNet, peer: Peer
) -> None:
    """A server that saw bob's Follow first cannot replay its id under its own signature and
    so get bob's real Follow dropped as a duplicate."""
    b = await _club(net)
    evil = Peer("evil.test")
    net.router.add(evil.host, evil.app)
    bob, mallory = peer.add_actor("bob"), evil.add_actor("mallory")
    follow = bob.activity("Follow", "https://b.test/groups/club")
    stolen = {**mallory.activity("Follow", "https://b.test/groups/club"), "id": follow["id"]}

    assert (await evil.post(net.http, INBOX, stolen)).status_code == 400
    assert (await peer.post(net.http, INBOX, follow)).status_code == 202
    await net.drain()
    assert [(f.follower_uri, f.state) for f in await rows(b, Follow)] == [(bob.uri, "accepted")]
    assert [r.json()["type"] for r in peer.posts()] == ["Accept"]
    assert evil.posts() == []


@pytest.mark.parametrize(
    "inbox", ["https://b.test/groups/nobody/inbox", "https://b.test/users/nobody/inbox"]
)
async def test_inbox_of_nobody_is_a_404(net: FederationNet, peer: Peer, inbox: str) -> None:
    b = await _club(net)
    bob = peer.add_actor("bob")
    response = await peer.post(
        net.http, inbox, bob.activity("Follow", inbox.removesuffix("/inbox"))
    )
    assert response.status_code == 404
    assert "nobody" in response.json()["error"]  # in JSON, as every inbox answer
    await _nothing_stored(b)


async def test_inbox_answers_set_no_cookie_and_keep_the_security_headers(
    net: FederationNet, peer: Peer
) -> None:
    await _club(net)
    bob = peer.add_actor("bob")
    response = await peer.post(net.http, INBOX, bob.activity("Like", "https://b.test/groups/club"))
    assert response.status_code == 202
    assert "set-cookie" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    unknown = await net.http.post(
        "https://b.test/groups/club/nobox/inbox", content=b"{}", headers={"content-type": AS_TYPE}
    )
    assert unknown.status_code == 404  # not an inbox: the ordinary routes answer


async def test_delete_of_a_known_actor_removes_its_follow(net: FederationNet, peer: Peer) -> None:
    b = await _club(net)
    bob = peer.add_actor("bob")
    await follow_from_peer(net, peer, bob, b, "club")
    peer.gone.add("bob")  # the account is deleted; its key is only in our cache now
    response = await peer.post(net.http, "https://b.test/inbox", bob.activity("Delete", bob.uri))
    assert response.status_code == 202
    await net.drain()
    followers = await net.http.get(
        "https://b.test/groups/club/followers", headers={"Accept": AS_TYPE}
    )
    assert followers.json()["totalItems"] == 0
    assert await rows(b, Follow) == []
    assert await rows(b, RemoteActor) == []


async def test_a_nul_character_in_an_activity_is_refused_with_400(net: FederationNet) -> None:
    b = await net.add("b")
    body = b'{"id": "https://peer.test/a\\u0000", "type": "Follow", "actor": "https://peer.test/u"}'
    response = await b.web.client.post(
        "/inbox", content=body, headers={"Content-Type": "application/activity+json"}
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
