"""A proposal is discussed in a thread on its page (issue #9): a Mastodon member replies to the
poll and a local member comments on the page; the group shares each comment like a post it
relays — with its members only for a members-only proposal (never with followers who are not
members), with its followers for a public one — and each local comment's Note is served at
its id (to members' servers only when members-only)."""

from __future__ import annotations

import html
from typing import Any

from server.models import RelayedPost
from tests.decisions.conftest import Club
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, PeerActor, sign_cavage
from tests.flows.scenes import follow_from_peer, rows

CLUB = "https://b.test/groups/club"
GET_SIGNED = ("(request-target)", "host", "date")


async def _club(net: FederationNet, peer: Peer) -> tuple[Instance, Club, PeerActor, PeerActor]:
    """B's open club: mia (a member on the peer, by Join) and bob (a follower only)."""
    b = await net.add("b")
    await b.web.login_as_new("organizer")
    assert (await b.web.create_group("club", "Chess Club")).status_code == 303
    mia, bob = peer.add_actor("mia"), peer.add_actor("bob")
    assert (await peer.post(net.http, f"{CLUB}/inbox", mia.activity("Join", CLUB))).status_code
    await follow_from_peer(net, peer, bob, b, "club")
    peer.received.clear()
    return b, Club(b.web), mia, bob


def _reply(actor: PeerActor, proposal: str, text: str, to: list[str]) -> dict[str, Any]:
    note = {
        "id": f"{actor.uri}/statuses/{abs(hash(text))}",
        "type": "Note",
        "attributedTo": actor.uri,
        "inReplyTo": proposal,
        "content": f"<p>{text}</p>",
        "to": to,
    }
    return actor.activity("Create", note, to=to)


def _announced(peer: Peer) -> list[dict[str, Any]]:
    return [r.json() for r in peer.posts() if r.json()["type"] == "Announce"]


async def test_a_members_only_proposal_is_discussed_among_members(
    net: FederationNet, peer: Peer
) -> None:
    b, club, mia, bob = await _club(net, peer)
    proposal_id = await club.open_proposal()
    proposal = f"{CLUB}/proposals/{proposal_id}"
    await net.drain()
    peer.received.clear()

    reply = _reply(mia, proposal, "Thursdays suit me", to=[CLUB])  # a Mastodon "mentioned only"
    assert (await peer.post(net.http, f"{CLUB}/inbox", reply)).status_code == 202
    stranger = _reply(bob, proposal, "I am not a member", to=[CLUB])
    assert (await peer.post(net.http, f"{CLUB}/inbox", stranger)).status_code == 202
    await net.drain()
    page = f"/groups/club/proposals/{proposal_id}"
    response = await b.web.post_form(
        f"{page}/comments", {"content": "Then **Thursday** it is?"}, csrf_from=page
    )
    assert response.status_code == 303
    await net.drain()

    text = html.unescape((await b.web.get(page)).text)
    assert "Thursdays suit me" in text and "<strong>Thursday</strong> it is?" in text
    assert "I am not a member" not in text
    for announce in _announced(peer):
        assert (announce["to"], announce["cc"]) == ([mia.uri], [])  # members only, by name
    boosted = {a["object"] for a in _announced(peer) if isinstance(a["object"], str)}
    local = [p for p in await rows(b, RelayedPost) if p.actor_uri.endswith("/users/organizer")]
    assert boosted == {reply["object"]["id"], local[0].object_uri}

    note_url = local[0].object_uri
    signed = sign_cavage(mia.key, mia.key_id, "GET", note_url, b"", signed=GET_SIGNED)
    fetched = await net.http.get(note_url, headers={"Accept": AS_TYPE, **signed})
    assert fetched.status_code == 200 and fetched.json()["inReplyTo"] == proposal
    assert (await net.http.get(note_url, headers={"Accept": AS_TYPE})).status_code == 404


async def test_a_public_proposal_is_discussed_with_the_followers(
    net: FederationNet, peer: Peer
) -> None:
    b, club, mia, _ = await _club(net, peer)
    proposal_id = await club.open_proposal(visibility="public")
    proposal = f"{CLUB}/proposals/{proposal_id}"
    await net.drain()
    peer.received.clear()
    public = "https://www.w3.org/ns/activitystreams#Public"
    reply = _reply(mia, proposal, "Fine by me", to=[public])
    assert (await peer.post(net.http, f"{CLUB}/inbox", reply)).status_code == 202
    await net.drain()
    announced = _announced(peer)  # delivered concurrently: in either order
    [relay] = [a for a in announced if isinstance(a["object"], dict)]
    [boost] = [a for a in announced if isinstance(a["object"], str)]
    assert relay["object"]["id"] == reply["id"] and boost["object"] == reply["object"]["id"]
    assert relay["to"] == [public] and relay["cc"] == [f"{CLUB}/followers"]
    page = (await b.web.get(f"/groups/club/proposals/{proposal_id}")).text
    assert "Fine by me" in page
    await b.web.logout()
    assert (
        "Add to the discussion"
        not in (await b.web.get(f"/groups/club/proposals/{proposal_id}")).text
    )
