"""A remote server signs its POSTs the way Mastodon (draft-cavage, by hand) or Fedify
(RFC 9421, by ``http-message-signatures``) does: good signatures are answered 202 and an
Accept signed by the group comes back; every tampered request is a 401, stores nothing and
sends nothing; key rotation costs one refetch, and bad signatures cannot cause a fetch storm.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from server.models import Follow, InboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import (
    AS_TYPE,
    JsonObject,
    Peer,
    PeerActor,
    digest_of,
    fetch_public_key,
    new_key,
    sign_cavage,
    verify_cavage,
)
from tests.flows.scenes import follow_from_peer, organize_group, rows


async def _club(net: FederationNet) -> tuple[Instance, str]:
    b = await net.add("b")
    return b, await organize_group(b, "club")


@pytest.mark.parametrize("inbox", ["/groups/club/inbox", "/inbox"])
async def test_mastodon_signed_follow_gets_an_accept_signed_by_the_group(
    net: FederationNet, peer: Peer, inbox: str
) -> None:
    b, group = await _club(net)
    bob = peer.add_actor("bob")
    follow = bob.activity("Follow", group)

    response = await peer.post(net.http, f"https://b.test{inbox}", follow)
    assert response.status_code == 202, response.text
    assert peer.posts() == []  # the answer comes from the worker, not the request
    await net.drain()

    [received] = peer.posts("/users/bob/inbox")
    accept = received.json()
    assert (accept["type"], accept["actor"]) == ("Accept", group)
    assert accept["object"]["id"] == follow["id"]
    key_id, pem = await fetch_public_key(net.http, group)
    params = verify_cavage(received, pem)
    assert params["keyId"] == key_id == f"{group}#main-key"
    assert received.headers["host"] == "peer.test"
    assert received.headers["content-type"] == AS_TYPE
    assert bob.uri in accept["to"]
    sent_at = datetime.strptime(received.headers["date"], "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=UTC
    )
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=5)
    [stored] = await rows(b, Follow)
    assert (stored.follower_uri, stored.state) == (bob.uri, "accepted")


async def test_rfc9421_signed_follow_is_accepted(net: FederationNet, peer: Peer) -> None:
    _, group = await _club(net)
    bob = peer.add_actor("bob")
    body = json.dumps(bob.activity("Follow", group)).encode()
    request = httpx.Request(
        "POST", f"{group}/inbox", content=body, headers={"Content-Type": AS_TYPE}
    )
    resolver = MappingKeyResolver(public_keys={}, private_keys={bob.key_id: bob.key})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=resolver
    )
    signer.sign(request, key_id=bob.key_id, label="sig1", body=body)
    assert "signature-input" in request.headers and "date" not in request.headers

    response = await net.http.send(request)
    assert response.status_code == 202, response.text
    await net.drain()
    [received] = peer.posts("/users/bob/inbox")
    assert received.json()["type"] == "Accept"


# --- tampering ---------------------------------------------------------------------------

Request = tuple[str, bytes, dict[str, str]]
Tamper = Callable[[Peer, str, JsonObject], Request]


def _signed(actor: PeerActor, url: str, activity: JsonObject, **sign: object) -> Request:
    body = json.dumps(activity).encode()
    return url, body, sign_cavage(actor.key, actor.key_id, "POST", url, body, **sign)  # type: ignore[arg-type]


def body_changed(peer: Peer, url: str, follow: JsonObject) -> Request:
    url, _, headers = _signed(peer.actors["bob"], url, follow)
    return url, json.dumps({**follow, "object": "https://b.test/groups/other"}).encode(), headers


def body_changed_with_a_new_digest(peer: Peer, url: str, follow: JsonObject) -> Request:
    url, body, headers = body_changed(peer, url, follow)
    return url, body, {**headers, "digest": digest_of(body)}


def digest_not_signed(peer: Peer, url: str, follow: JsonObject) -> Request:
    return _signed(peer.actors["bob"], url, follow, signed=("(request-target)", "host", "date"))


def date_two_hours_old(peer: Peer, url: str, follow: JsonObject) -> Request:
    return _signed(peer.actors["bob"], url, follow, date=datetime.now(UTC) - timedelta(hours=2))


def date_two_hours_ahead(peer: Peer, url: str, follow: JsonObject) -> Request:
    return _signed(peer.actors["bob"], url, follow, date=datetime.now(UTC) + timedelta(hours=2))


def key_of_another_actor(peer: Peer, url: str, follow: JsonObject) -> Request:
    return _signed(peer.actors["mallory"], url, follow)


def path_changed(peer: Peer, url: str, follow: JsonObject) -> Request:
    _, body, headers = _signed(peer.actors["bob"], url, follow)
    return "https://b.test/inbox", body, headers


def hmac_algorithm(peer: Peer, url: str, follow: JsonObject) -> Request:
    return _signed(peer.actors["bob"], url, follow, algorithm="hmac-sha256")


def no_signature_header(peer: Peer, url: str, follow: JsonObject) -> Request:
    url, body, headers = _signed(peer.actors["bob"], url, follow)
    del headers["signature"]
    return url, body, headers


def no_date(peer: Peer, url: str, follow: JsonObject) -> Request:
    url, body, headers = _signed(
        peer.actors["bob"],
        url,
        follow,
        signed=("(request-target)", "host", "digest", "content-type"),
    )
    del headers["date"]
    return url, body, headers


def date_signed_but_missing(peer: Peer, url: str, follow: JsonObject) -> Request:
    url, body, headers = _signed(peer.actors["bob"], url, follow)
    del headers["date"]
    return url, body, headers


TAMPERS = [
    body_changed,
    body_changed_with_a_new_digest,
    digest_not_signed,
    date_two_hours_old,
    date_two_hours_ahead,
    key_of_another_actor,
    path_changed,
    hmac_algorithm,
    no_signature_header,
    no_date,
    date_signed_but_missing,
]


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.__name__ for t in TAMPERS])
async def test_tampered_request_is_refused_and_leaves_no_trace(
    net: FederationNet, peer: Peer, tamper: Tamper
) -> None:
    b, group = await _club(net)
    bob = peer.add_actor("bob")
    peer.add_actor("mallory")
    url, body, headers = tamper(peer, f"{group}/inbox", bob.activity("Follow", group))

    response = await net.http.post(url, content=body, headers=headers)
    assert response.status_code == 401, response.text
    await net.drain()
    assert await rows(b, InboxActivity) == []
    assert await rows(b, Follow) == []
    assert peer.posts() == []


# --- keys ----------------------------------------------------------------------------------


async def test_rotated_key_is_refetched_once_and_accepted(net: FederationNet, peer: Peer) -> None:
    b, group = await _club(net)
    bob = peer.add_actor("bob")
    follow = await follow_from_peer(net, peer, bob, b, "club")
    fetched = peer.actor_fetches["bob"]

    peer.rotate_key("bob")
    response = await peer.post(net.http, f"{group}/inbox", bob.activity("Undo", follow))
    assert response.status_code == 202, response.text
    assert peer.actor_fetches["bob"] == fetched + 1
    await net.drain()
    assert await rows(b, Follow) == []

    again = await peer.post(net.http, f"{group}/inbox", bob.activity("Follow", group))
    assert again.status_code == 202
    assert peer.actor_fetches["bob"] == fetched + 1  # the new key is cached now


async def test_a_burst_of_bad_signatures_fetches_the_actor_at_most_twice(
    net: FederationNet, peer: Peer
) -> None:
    b, group = await _club(net)
    carol = peer.add_actor("carol")
    impostor = PeerActor(peer.host, "carol", key=new_key())  # carol's key id, someone else's key

    answers = await asyncio.gather(
        *(
            peer.post(net.http, f"{group}/inbox", carol.activity("Follow", group), signer=impostor)
            for _ in range(20)
        )
    )
    assert [r.status_code for r in answers] == [401] * 20
    assert 1 <= peer.actor_fetches["carol"] <= 2
    assert await rows(b, InboxActivity) == []

    fetched = peer.actor_fetches["carol"]
    genuine = await peer.post(net.http, f"{group}/inbox", carol.activity("Follow", group))
    assert genuine.status_code == 202
    assert peer.actor_fetches["carol"] == fetched
