"""Likes and boosts of group posts and meetups from the fediverse are counted on their pages,
and an Undo takes them back. Fixtures follow Mastodon's serializers:
``app/serializers/activitypub/like_serializer.rb`` (``Like``, id ``<actor>#likes/<n>``),
``activity_serializer.rb`` (a boost: ``Announce``, id ``<status>/activity``, to Public),
``undo_like_serializer.rb`` and ``undo_announce_serializer.rb`` (``Undo`` embedding them)."""

from __future__ import annotations

import re
from typing import Any

from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import organize_group, post_as_group

CLUB = "https://b.test/groups/club"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _like(actor: PeerActor, number: int, target: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}#likes/{number}",
        "type": "Like",
        "actor": actor.uri,
        "object": target,
    }


def _boost(actor: PeerActor, number: int, target: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}/statuses/{number}/activity",
        "type": "Announce",
        "actor": actor.uri,
        "published": "2026-12-05T10:00:00Z",
        "to": [PUBLIC],
        "cc": [CLUB, f"{actor.uri}/followers"],
        "object": target,
    }


def _undo(activity: dict[str, Any], *, by_id: bool = False) -> dict[str, Any]:
    inner = {key: value for key, value in activity.items() if key != "@context"}
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{activity['id']}/undo",
        "type": "Undo",
        "actor": activity["actor"],
        "object": inner["id"] if by_id else inner,
    }


async def _send(net: FederationNet, peer: Peer, *activities: dict[str, Any]) -> None:
    for activity in activities:
        response = await peer.post(net.http, "https://b.test/inbox", activity)
        assert response.status_code == 202, response.text
    await net.drain()


def _shown(html: str) -> str:
    found = re.search(r'<p class="reactions[^"]*"[^>]*>(.*?)</p>', html)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


async def _club_with_a_post(net: FederationNet) -> tuple[Instance, str]:
    b = await net.add("b")
    await organize_group(b, "club")
    await post_as_group(b, "club", "Picnic on Sunday")
    page = (await b.web.get("/groups/club")).text
    post_id = re.search(r"/groups/club/posts/(\d+)", page)
    assert post_id is not None
    return b, f"{CLUB}/posts/{post_id.group(1)}"


async def test_likes_and_boosts_of_a_post_are_counted_and_undone(
    net: FederationNet, peer: Peer
) -> None:
    b, post = await _club_with_a_post(net)
    mo, zoe = peer.add_actor("mo"), peer.add_actor("zoe")
    mo_likes, zoe_likes, mo_boosts = _like(mo, 1, post), _like(zoe, 7, post), _boost(mo, 9, post)
    await _send(net, peer, mo_likes, zoe_likes, mo_boosts, _like(mo, 2, post))
    path = post.removeprefix("https://b.test")
    assert _shown((await b.web.get(path)).text) == "2 likes · 1 boost"
    assert _shown((await b.web.get("/groups/club")).text) == "2 likes · 1 boost"

    # Someone else's Undo naming mo's like changes nothing.
    forged = {**_undo(mo_likes), "actor": zoe.uri, "id": f"{zoe.uri}#undo/1"}
    await _send(net, peer, forged)
    assert _shown((await b.web.get(path)).text) == "2 likes · 1 boost"

    await _send(net, peer, _undo(mo_likes), _undo(mo_boosts))
    assert _shown((await b.web.get(path)).text) == "1 like"
    await _send(net, peer, _undo(zoe_likes, by_id=True))  # an Undo naming only the id
    assert _shown((await b.web.get(path)).text) == ""


async def test_a_meetup_counts_likes_of_itself_and_of_its_poll(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    ids = []
    for title, visibility in (("Repair café", "public"), ("Dinner", "members")):
        data = {**FORM, "title": title, "visibility": visibility}
        made = await b.web.post_form(
            "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
        )
        assert made.status_code == 303, made.text
        ids.append(made.headers["location"].rsplit("/", 1)[-1])
    public, members_only = (f"https://b.test/events/{number}" for number in ids)
    mo = peer.add_actor("mo")
    await _send(
        net,
        peer,
        _like(mo, 1, public),
        _boost(mo, 2, f"{public}/poll"),
        _like(mo, 3, members_only),  # not visible to them: not counted
        _like(mo, 4, "https://b.test/events/999999"),
    )
    assert _shown((await b.web.get(f"/events/{ids[0]}")).text) == "1 like · 1 boost"
    assert _shown((await b.web.get(f"/events/{ids[1]}")).text) == ""
