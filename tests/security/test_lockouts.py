"""Nothing an attacker sends changes how Hearth treats a third party's valid signed requests
(issue #15). The third party is ``peer.test`` (tests/flows/peer.py: a Mastodon-style server
whose actors sign with ``#main-key``, as Mastodon's ``ActivityPub::LinkedDataSignature`` and
``Request#sign!`` in mastodon/mastodon app/lib/request.rb do); the attacker posts from its
own address, 203.0.113.66, while peer.test posts from the network's default address.

- Key fetches that find nothing are charged to the sender's address, not the key's host,
  and a key id on another origin than the activity's actor is never fetched.
- A bad signature naming a known actor's key costs the attacker one refetch, and does not
  stop that actor's rotated key from being fetched when the actor itself signs with it.
- The inbox's per-domain allowance is spent only by verified requests of that domain;
  unverified ones are charged to the sender's address."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.federation_net import FederationNet
from tests.flows.peer import Peer, PeerActor, new_key
from tests.flows.scenes import organize_group
from tests.security.conftest import Target
from tests.security.harness import signed_post

ATTACKER = {"client_ip": "203.0.113.66"}


class NamedKey(PeerActor):
    """Signs with its own key but names the key id the test chooses."""

    def __init__(self, actor: PeerActor, key_id: str) -> None:
        super().__init__(actor.host, actor.name, key=actor.key)
        self.named = key_id

    @property
    def key_id(self) -> str:
        return self.named


async def attack(net: FederationNet, signer: PeerActor, url: str, activity: Any) -> httpx.Response:
    raw, headers = signed_post(signer, url, activity)
    return await net.http.post(url, content=raw, headers=headers, extensions=ATTACKER)


async def test_missing_keys_named_by_an_attacker_do_not_lock_out_the_key_host(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    """Many POSTs naming ``peer.test/users/missingN#main-key`` (404s): peer.test's new
    account's correctly signed Follow is still accepted, its key fetched."""
    mallory = PeerActor(peer.host, "mallory")
    for number in range(6):
        forged = NamedKey(mallory, f"https://{peer.host}/users/missing{number}#main-key")
        actor = f"https://{peer.host}/users/missing{number}"
        activity = {**mallory.activity("Follow", target.group), "actor": actor}
        activity["id"] = f"{actor}/follows/{number}"
        response = await attack(net, forged, target.inbox, activity)
        assert response.status_code == 401, response.text
    newbie = peer.add_actor("newbie")
    response = await peer.post(net.http, target.inbox, newbie.activity("Follow", target.group))
    assert response.status_code == 202, response.text
    assert peer.actor_fetches["newbie"] == 1


async def test_a_key_id_named_before_its_account_exists_is_fetched_for_the_account(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    """The attacker names a key id that does not exist yet (a failure, remembered): when
    the account is created and signs with it, its Follow is accepted at once."""
    carol = PeerActor(peer.host, "carol")
    for _ in range(3):
        response = await attack(net, carol, target.inbox, carol.activity("Follow", target.group))
        assert response.status_code == 401
    peer.actors["carol"] = carol
    response = await peer.post(net.http, target.inbox, carol.activity("Follow", target.group))
    assert response.status_code == 202, response.text


async def test_a_key_id_on_another_server_than_the_actor_is_not_fetched(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    """evil's actor naming a key on peer.test: refused before any request to peer.test."""
    eve = PeerActor("evil.test", "eve")
    before = len(net.router.requests)
    for number in range(5):
        forged = NamedKey(eve, f"https://{peer.host}/users/gone{number}#main-key")
        response = await attack(net, forged, target.inbox, eve.activity("Follow", target.group))
        assert response.status_code == 401
    assert [r for r in net.router.requests[before:] if r.url.host == peer.host] == []


async def test_bad_signatures_do_not_hold_up_a_rotated_key(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    """The attacker signs as bob with a wrong key (one refetch of bob, then none); bob
    rotates his key and signs with it: accepted after one more refetch."""
    impostor = PeerActor(peer.host, "bob", key=new_key())
    fetched = peer.actor_fetches["bob"]
    for _ in range(5):
        response = await attack(
            net, impostor, target.inbox, target.bob.activity("Like", target.group)
        )
        assert response.status_code == 401
    assert peer.actor_fetches["bob"] - fetched == 1
    rotated = peer.rotate_key("bob")
    response = await peer.post(net.http, target.inbox, rotated.activity("Like", target.group))
    assert response.status_code == 202, response.text
    assert peer.actor_fetches["bob"] - fetched == 2


async def test_unverified_requests_do_not_spend_a_domains_inbox_allowance(
    net: FederationNet, peer: Peer
) -> None:
    """31 unsigned (and badly signed) POSTs naming peer.test's key, from the attacker's
    address: peer.test's real requests get 202, never 429; the attacker's address is
    the one slowed down, and peer.test's own verified requests do count."""
    b = await net.add("b", rate_limits={"inbox_per_domain": 30, "inbox_per_ip": 40})
    group = await organize_group(b, "club")
    bob = peer.add_actor("bob")
    inbox = f"{group}/inbox"
    header = f'keyId="{bob.key_id}",algorithm="rsa-sha256",headers="date",signature="AAAA"'
    statuses = []
    for _ in range(41):
        body = json.dumps(bob.activity("Like", group)).encode()
        response = await net.http.post(
            inbox,
            content=body,
            headers={"Content-Type": "application/activity+json", "Signature": header},
            extensions=ATTACKER,
        )
        statuses.append(response.status_code)
    assert set(statuses[:40]) == {401} and statuses[40] == 429
    accepted = [
        (await peer.post(net.http, inbox, bob.activity("Like", group))).status_code
        for _ in range(30)
    ]
    assert accepted == [202] * 30
    over = await peer.post(net.http, inbox, bob.activity("Like", group))
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
