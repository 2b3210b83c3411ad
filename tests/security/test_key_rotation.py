"""Keys: a rotated key costs one refetch and is then accepted; bad signatures cannot make us
hammer a server with key fetches (not with one key id, nor with made-up key ids, nor for an
actor that is gone); and a key is trusted only from its owner's own document."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.remote import MAX_KEY_FAILURES_PER_HOST
from server.db import utcnow
from server.models import RemoteActor
from tests.federation_net import FederationNet
from tests.flows.peer import Peer, PeerActor, new_key, public_pem
from tests.flows.scenes import rows
from tests.security.conftest import Target
from tests.security.harness import Watch, post_signed
from tests.security.hostile import Hostile


class RenamedKey(PeerActor):
    """An actor whose key id is ``#key-2`` after a rotation."""

    @property
    def key_id(self) -> str:
        return f"{self.uri}#key-2"


async def test_a_new_key_id_is_fetched_once_and_accepted(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    fetched = peer.actor_fetches["bob"]
    rotated = RenamedKey(peer.host, "bob")
    peer.actors["bob"] = rotated
    for _ in range(3):
        response = await post_signed(
            net, rotated, target.inbox, rotated.activity("Follow", target.group)
        )
        assert response.status_code == 202, response.text
    assert peer.actor_fetches["bob"] == fetched + 1
    [bob] = await rows(target.b, RemoteActor)
    assert bob.key_id == rotated.key_id


@pytest.mark.parametrize("made_up", ["fragments", "queries"])
async def test_made_up_key_ids_cannot_cause_a_fetch_storm(
    net: FederationNet, peer: Peer, target: Target, made_up: str
) -> None:
    """Each request names a key id nobody has: a few fetches of bob in all, not one each
    (fragments share bob's document; distinct URLs exhaust the host's failure budget)."""
    fetched = peer.actor_fetches["bob"]
    watch = await Watch.start(net, target.b)
    for number in range(30):
        suffix = f"#key-{number}" if made_up == "fragments" else f"?k={number}#main-key"
        forger = PeerActor(peer.host, "bob", key=new_key())
        forger_key_id = f"{target.bob.uri}{suffix}"
        response = await post_signed(
            net,
            _with_key_id(forger, forger_key_id),
            target.inbox,
            target.bob.activity("Follow", target.group),
        )
        assert response.status_code == 401
    budget = 1 if made_up == "fragments" else MAX_KEY_FAILURES_PER_HOST
    await watch.assert_untouched(fetches=budget)
    assert peer.actor_fetches["bob"] - fetched <= budget


def _with_key_id(actor: PeerActor, key_id: str) -> PeerActor:
    class Forged(PeerActor):
        @property
        def key_id(self) -> str:
            return key_id

    return Forged(actor.host, actor.name, key=actor.key)


async def test_a_gone_actor_is_not_fetched_again_and_again(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    fetched = peer.actor_fetches["bob"]
    peer.gone.add("bob")
    impostor = PeerActor(peer.host, "bob", key=new_key())
    watch = await Watch.start(net, target.b)
    for _ in range(20):
        response = await post_signed(
            net, impostor, target.inbox, target.bob.activity("Follow", target.group)
        )
        assert response.status_code == 401
    await watch.assert_untouched(fetches=1)
    assert peer.actor_fetches["bob"] - fetched <= 1


async def test_a_key_document_elsewhere_cannot_claim_a_peer_actor(
    net: FederationNet, peer: Peer, target: Target, evil: Hostile
) -> None:
    """evil.test serves a Key whose owner is bob: bob's real key is not that one."""
    eve = PeerActor(evil.host, "eve")
    key_url = evil.serve(
        "/keys/1",
        {
            "id": evil.url("/keys/1"),
            "type": "Key",
            "owner": target.bob.uri,
            "publicKeyPem": public_pem(eve.key),
        },
    )
    forger = _with_key_id(eve, key_url)
    watch = await Watch.start(net, target.b)
    response = await post_signed(
        net, forger, target.inbox, target.bob.activity("Follow", target.group)
    )
    await watch.assert_untouched(response, 401, fetches=1)  # the key document, not bob
    assert "evil.test" not in str(await rows(target.b, RemoteActor))


async def test_an_actor_whose_key_names_another_owner_is_not_stored(
    net: FederationNet, target: Target, evil: Hostile
) -> None:
    eve = PeerActor(evil.host, "eve")
    document = eve.document()
    document["publicKey"]["owner"] = target.bob.uri
    evil.serve("/users/eve", document)
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, eve, target.inbox, eve.activity("Follow", target.group))
    await watch.assert_untouched(response, 401, fetches=2)


async def test_a_key_another_process_refetched_is_used_at_once(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    """This process remembers bob's old key; another process (``--workers``) already fetched
    the rotated one into the database: the first request with the new key is accepted,
    without another fetch."""
    warm = await post_signed(
        net, target.bob, target.inbox, target.bob.activity("Like", target.group)
    )
    assert warm.status_code == 202  # bob's key is now remembered in memory
    rotated = peer.rotate_key("bob")

    async def another_process_refetched(session: Any) -> None:
        row = (await session.exec(select(RemoteActor))).one()
        row.public_key_pem = public_pem(rotated.key)
        row.key_refreshed_at = utcnow()
        session.add(row)

    await target.b.run(another_process_refetched)
    fetched = peer.actor_fetches["bob"]
    response = await post_signed(net, rotated, target.inbox, rotated.activity("Like", target.group))
    assert response.status_code == 202, response.text
    assert peer.actor_fetches["bob"] == fetched
