"""Members-only posts and meetups (issue #5): addressed to the group's members by name and
delivered to them only — never public, never to followers who are not members — and their
pages and objects answer only a member's login or a member's signed fetch (404 otherwise)."""

from __future__ import annotations

from typing import Any

import httpx

from server.models import Event, GroupPost
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, PeerActor, sign_cavage
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows

CLUB = "https://b.test/groups/club"
GET_SIGNED = ("(request-target)", "host", "date")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _club(net: FederationNet, peer: Peer) -> tuple[Instance, PeerActor, PeerActor]:
    """B's open club with mia (a member, by Join) and bob (a follower, not a member)."""
    b = await net.add("b")
    await organize_group(b, "club")
    mia, bob = peer.add_actor("mia"), peer.add_actor("bob")
    response = await peer.post(net.http, f"{CLUB}/inbox", mia.activity("Join", CLUB))
    assert response.status_code == 202
    await follow_from_peer(net, peer, bob, b, "club")
    peer.received.clear()
    return b, mia, bob


async def _fetch(net: FederationNet, url: str, actor: PeerActor | None) -> httpx.Response:
    headers = {"Accept": AS_TYPE}
    if actor is not None:
        headers |= sign_cavage(actor.key, actor.key_id, "GET", url, b"", signed=GET_SIGNED)
    return await net.http.get(url, headers=headers)


def _received(peer: Peer) -> list[tuple[str, dict[str, Any]]]:
    """(inbox path, activity) of everything the peer got."""
    return [(r.path, r.json()) for r in peer.posts()]


async def test_a_members_only_post_reaches_members_only(net: FederationNet, peer: Peer) -> None:
    b, mia, bob = await _club(net, peer)
    await post_as_group(b, "club", "Key code for the hall: 4711", visibility="members")
    await net.drain()
    [(path, create)] = _received(peer)
    assert path == "/inbox"  # the peer's shared inbox: delivered once, for mia
    note = create["object"]
    assert (create["to"], create["cc"], note["to"], note["cc"]) == ([mia.uri], [], [mia.uri], [])
    assert PUBLIC not in str(create) and f"{CLUB}/followers" not in str(create)

    [post] = await rows(b, GroupPost)
    url = f"{CLUB}/posts/{post.id}"
    assert (await _fetch(net, url, mia)).json()["content"] == note["content"]
    assert (await _fetch(net, url, bob)).status_code == 404
    assert (await _fetch(net, url, None)).status_code == 404
    assert (await net.http.get(url)).status_code == 404  # a browser without a login

    public = (await net.http.get(CLUB)).text
    assert "4711" not in public
    assert "4711" in (await b.web.get("/groups/club")).text  # the organizer sees it


async def test_a_members_only_meetup_and_its_poll_reach_members_only(
    net: FederationNet, peer: Peer
) -> None:
    b, mia, bob = await _club(net, peer)
    data = {**FORM, "visibility": "members", "title": "Members' dinner"}
    response = await b.web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    await net.drain()
    kinds = sorted(activity["object"]["type"] for _, activity in _received(peer))
    assert kinds == ["Event", "Question"]
    for _, activity in _received(peer):
        assert (activity["to"], activity["cc"]) == ([mia.uri], [])

    [event] = await rows(b, Event)
    url = f"https://b.test/events/{event.id}"
    assert (await _fetch(net, url, mia)).json()["name"] == "Members' dinner"
    assert (await _fetch(net, f"{url}/poll", mia)).json()["type"] == "Question"
    for who in (bob, None):
        assert (await _fetch(net, url, who)).status_code == 404
        assert (await _fetch(net, f"{url}/poll", who)).status_code == 404
    assert (await net.http.get(url)).status_code == 404

    peer.received.clear()
    vote = {
        "id": f"{mia.uri}/statuses/1",
        "type": "Note",
        "name": "Going",
        "attributedTo": mia.uri,
        "inReplyTo": f"{url}/poll",
    }
    response = await peer.post(net.http, f"{CLUB}/inbox", mia.activity("Create", vote))
    assert response.status_code == 202
    await net.drain()
    assert "You're going" in str(_received(peer)).replace("&#x27;", "'")
