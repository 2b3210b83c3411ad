"""A group moves from one Hearth server to another: export, import, ``Move``. Afterwards every
follower — on a Mastodon-like peer (``tests.flows.move_peer``, after Mastodon's move.rb) and
on a third Hearth server — follows the new group, the old group's members here follow it too,
meetups and answers are intact, and the old pages redirect."""

from __future__ import annotations

import json

from server.models import Event, Follow, InboxActivity, Participation
from tests.federation_net import FederationNet, Instance
from tests.flows.move_peer import handle_moves
from tests.flows.move_scenes import lively_group, token_of
from tests.flows.peer import Peer
from tests.flows.scenes import post_as_group, rows

OLD, NEW = "https://a.test/groups/club", "https://b.test/groups/club"
AS_JSON = {"Accept": "application/activity+json"}


async def _follows(instance: Instance, followee: str) -> dict[str, str]:
    return {
        f.follower_uri: f.state
        for f in await rows(instance, Follow, Follow.followee_uri == followee)
    }


async def _move_archive(a: Instance, b: Instance, organizer: dict[str, str]) -> None:
    """Export from ``a`` and import on ``b`` as olga, with follow requests approved by hand
    there (carried-over followers are accepted anyway)."""
    archive = (await a.web.client.get("/api/v1/groups/club/archive", headers=organizer)).json()
    archive["group"]["membership_mode"] = "approval"
    await b.web.make_user("olga")
    headers = {**await token_of(b, "olga"), "Content-Type": "application/json"}
    body = json.dumps(archive).encode()
    created = await b.web.client.post("/api/v1/groups/import", content=body, headers=headers)
    assert created.status_code == 201, created.text


async def test_followers_members_and_pages_move_with_the_group(
    net: FederationNet, peer: Peer
) -> None:
    a, b, c = await net.add("a"), await net.add("b"), await net.add("c")
    lively = await lively_group(net, a, peer)
    await c.web.login_as_new("dan")
    followed = await c.web.post_form("/follow", {"handle": "@club@a.test"}, csrf_from="/home")
    assert followed.status_code == 303
    await net.drain()
    dan, carol = "https://c.test/users/dan", lively.follower.uri
    assert await _follows(a, OLD) == {carol: "accepted", dan: "accepted"}
    await _move_archive(a, b, lively.organizer)

    moved = await a.web.client.post(
        "/api/v1/groups/club/move", json={"target": NEW}, headers=lively.organizer
    )
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"slug": "club", "moved_to": NEW}
    await net.drain()
    [move] = [r.json() for r in peer.posts() if r.json().get("type") == "Move"]
    assert (move["actor"], move["object"], move["target"]) == (OLD, OLD, NEW)
    assert await handle_moves(net.http, peer, [(lively.follower, lively.follow)]) == 1
    await net.drain()

    assert await _follows(b, NEW) == {
        carol: "accepted",
        dan: "accepted",
        "https://a.test/users/organizer": "accepted",
        "https://a.test/users/bea": "accepted",
    }
    assert await _follows(c, NEW) == {dan: "accepted"}
    assert await _follows(c, OLD) == {}
    assert await _follows(a, OLD) == {}  # both followers sent Undo(Follow)

    await b.web.login("olga")
    await post_as_group(b, "club", "Hello from our new home")
    await net.drain()
    creates = [r.json() for r in peer.posts() if r.json().get("type") == "Create"]
    assert any(c["actor"] == NEW for c in creates)
    home = await c.web.get("/home")
    assert "Hello from our new home" in home.text

    [event] = await rows(b, Event)
    assert event.title == "Repair café"
    answers = {(p.actor_uri, p.status) for p in await rows(b, Participation)}
    assert answers == {
        ("https://a.test/users/organizer", "going"),
        ("https://a.test/users/bea", "maybe"),
    }

    old_actor = (await a.web.client.get("/groups/club", headers=AS_JSON)).json()
    assert old_actor["movedTo"] == NEW and old_actor["id"] == OLD
    page = await a.web.get("/groups/club")
    assert (page.status_code, page.headers["location"]) == (308, NEW)
    listing = await a.web.get("/groups/club/events")
    assert listing.headers["location"] == f"{NEW}/events"
    meetup = await a.web.get(f"/events/{lively.event_id}")
    assert (meetup.status_code, meetup.headers["location"]) == (308, f"{NEW}/events")
    assert (await a.web.get("/groups/club/archive")).status_code != 308


async def test_a_move_to_a_group_that_does_not_list_the_old_one_is_refused(
    net: FederationNet, peer: Peer
) -> None:
    a, b = await net.add("a"), await net.add("b")
    lively = await lively_group(net, a, peer)
    await b.web.login_as_new("olga")
    assert (await b.web.create_group("club", "Impostor")).status_code == 303
    refused = await a.web.client.post(
        "/api/v1/groups/club/move", json={"target": NEW}, headers=lively.organizer
    )
    assert refused.status_code == 400
    assert "does not list https://a.test/groups/club in alsoKnownAs" in refused.text
    assert (await a.web.get("/groups/club")).status_code == 200
    assert [r for r in peer.posts() if r.json().get("type") == "Move"] == []


async def test_hearth_ignores_a_move_whose_target_does_not_list_the_origin(
    net: FederationNet, peer: Peer
) -> None:
    c = await net.add("c")
    eve, frank = peer.add_actor("eve"), peer.add_actor("frank")
    await c.web.login_as_new("dan")
    followed = await c.web.post_form("/follow", {"handle": "@eve@peer.test"}, csrf_from="/home")
    assert followed.status_code == 303
    await net.drain()
    accept = eve.activity(
        "Accept", {"type": "Follow", "actor": "https://c.test/users/dan", "object": eve.uri}
    )
    [follow] = await rows(c, Follow)
    accept["object"]["id"] = follow.activity_uri
    assert (await peer.post(net.http, "https://c.test/inbox", accept)).status_code == 202
    move = eve.activity("Move", eve.uri, target=frank.uri)
    assert (await peer.post(net.http, "https://c.test/inbox", move)).status_code == 202
    await net.drain()
    assert await _follows(c, eve.uri) == {"https://c.test/users/dan": "accepted"}
    assert await _follows(c, frank.uri) == {}
    [received] = await rows(c, InboxActivity, InboxActivity.type == "Move")
    assert received.result == "refused: the target does not list the origin in alsoKnownAs"
