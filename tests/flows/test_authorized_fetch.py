"""Authorized fetch ("secure mode"): actors, collections and posts answer only signed GETs;
discovery and the instance actor stay open; and following a group on such an instance works."""

from __future__ import annotations

import pytest

from server.activitypub.runtime import runtime_of
from server.models import Follow
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, sign_cavage
from tests.flows.scenes import organize_group, post_as_group, rows

CLUB = "https://b.test/groups/club"
PROTECTED = [
    CLUB,
    f"{CLUB}/followers",
    f"{CLUB}/following",
    f"{CLUB}/outbox",
    f"{CLUB}/posts/1",
    "https://b.test/users/organizer",
    "https://b.test/users/organizer/followers",
]
OPEN = [
    "https://b.test/.well-known/webfinger?resource=acct:club@b.test",
    "https://b.test/.well-known/host-meta",
    "https://b.test/.well-known/nodeinfo",
    "https://b.test/nodeinfo/2.1",
    "https://b.test/actor",
]
GET_SIGNED = ("(request-target)", "host", "date")


async def _secure_club(net: FederationNet, **federation: object) -> Instance:
    b = await net.add("b", federation={"authorized_fetch": True, **federation})
    await organize_group(b, "club")
    await post_as_group(b, "club", "Hello, fediverse")
    return b


@pytest.mark.parametrize("url", PROTECTED)
async def test_unsigned_get_is_refused(net: FederationNet, url: str) -> None:
    await _secure_club(net)
    response = await net.http.get(url, headers={"Accept": AS_TYPE})
    assert response.status_code == 401
    assert "signed" in response.json()["error"]


async def test_get_signed_by_another_instance_is_served(net: FederationNet) -> None:
    await _secure_club(net)
    a = await net.add("a")
    for url in PROTECTED:
        document = await runtime_of(a.app).remote.fetch(url)
        assert document["id"] == url


async def test_get_signed_by_hand_is_served_and_a_replay_elsewhere_is_not(
    net: FederationNet, peer: Peer
) -> None:
    await _secure_club(net)
    bob = peer.add_actor("bob")
    headers = sign_cavage(bob.key, bob.key_id, "GET", f"{CLUB}/followers", b"", signed=GET_SIGNED)
    response = await net.http.get(f"{CLUB}/followers", headers={**headers, "accept": AS_TYPE})
    assert response.status_code == 200
    assert response.json()["type"] == "OrderedCollection"

    replayed = await net.http.get(f"{CLUB}/outbox", headers={**headers, "accept": AS_TYPE})
    assert replayed.status_code == 401


@pytest.mark.parametrize("url", OPEN)
async def test_discovery_and_the_instance_actor_stay_open(net: FederationNet, url: str) -> None:
    await _secure_club(net)
    response = await net.http.get(url, headers={"Accept": AS_TYPE})
    assert response.status_code == 200


async def test_people_still_see_the_pages(net: FederationNet) -> None:
    await _secure_club(net)
    for url in (CLUB, f"{CLUB}/posts/1", "https://b.test/users/organizer"):
        response = await net.http.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")


async def test_signed_get_from_a_blocked_domain_is_refused_without_contacting_it(
    net: FederationNet, peer: Peer
) -> None:
    await _secure_club(net, blocked_domains=["peer.test"])
    bob = peer.add_actor("bob")
    headers = sign_cavage(bob.key, bob.key_id, "GET", CLUB, b"", signed=GET_SIGNED)
    response = await net.http.get(CLUB, headers={**headers, "accept": AS_TYPE})
    assert response.status_code in (401, 403)
    assert "Group" not in response.text
    assert peer.actor_fetches["bob"] == 0  # its key is not even fetched


async def test_following_a_group_on_a_secure_instance_works(net: FederationNet) -> None:
    b = await _secure_club(net)
    a = await net.add("a")
    await a.web.login_as_new("alice")
    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    await net.drain()

    alice = "https://a.test/users/alice"
    assert [(f.follower_uri, f.state) for f in await rows(a, Follow)] == [(alice, "accepted")]
    assert [(f.follower_uri, f.state) for f in await rows(b, Follow)] == [(alice, "accepted")]

    await post_as_group(b, "club", "Meetup on *Friday*")
    await net.drain()
    home = await a.web.get("/home")
    assert "Meetup on <em>Friday</em>" in home.text
