"""Meetup minutes leaving an instance (issue #20): a group's public minutes reach a peer
following the group as one signed ``Create{Article}`` per inbox — ``name``, ``summary``,
``content``, ``inReplyTo`` the meetup's ``Event``, ``context`` the group — and an edit as
``Update{Article}``, the meetup's deletion as ``Delete{Tombstone}``; members-only minutes go
to the remote members by name only.

The peer's expectations are Mastodon's (mastodon/mastodon
app/lib/activitypub/activity/create.rb): ``Article`` is one of its ``CONVERTED_TYPES``, shown
as its ``name`` and ``url`` (``text_from_content``), with ``summary`` as the content warning
(``text_from_summary``); the ``url`` must be on the actor's host (``invalid_origin?``);
visibility follows ``to``/``cc`` (``visibility_from_audience``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, PUBLIC, Peer, fetch_public_key, verify_cavage
from tests.flows.scenes import approve_follow_requests, follow_from_peer, organize_group
from tests.practice.conftest import meetup_at

CLUB = "https://b.test/groups/club"


async def _past_meetup(b: Instance, title: str) -> int:
    """A meetup created on the web that began an hour ago."""
    return await meetup_at(b.web, b.run, starts_in=timedelta(hours=-1), title=title)


async def _write(b: Instance, event_id: int, action: str, **fields: str) -> None:
    path = f"/events/{event_id}/minutes/edit"
    response = await b.web.post_form(path, {**fields, "action": action}, csrf_from=path)
    assert response.status_code == 303, response.text


def _articles(peer: Peer) -> list[dict[str, Any]]:
    return [
        r.json()
        for r in peer.posts()
        if isinstance(r.json().get("object"), dict) and r.json()["object"].get("type") == "Article"
    ]


async def test_a_follower_receives_public_minutes_as_an_article_replying_to_the_meetup(
    net: FederationNet, peer: Peer
) -> None:
    a = await net.add("a")
    b = await net.add("b")
    await organize_group(b, "club")
    await a.web.login_as_new("alice")
    followed = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert followed.status_code == 303
    for name in ("bob", "carol"):
        await follow_from_peer(net, peer, peer.add_actor(name), b, "club")
    public = await b.web.post_form(
        "/groups/club/minutes/settings", {"visibility": "public"}, csrf_from="/groups/club/minutes"
    )
    assert public.status_code == 303
    event_id = await _past_meetup(b, "Repair café")
    await net.drain()
    peer.received.clear()

    await _write(
        b,
        event_id,
        "publish",
        title="Repair café: minutes",
        summary="Twelve lamps fixed; next time bikes.",
        body="## Done\n\nWe fixed **twelve** lamps.",
    )
    await net.drain()
    received = [r for r in peer.posts() if r.json()["object"].get("type") == "Article"]
    assert len(received) == 1 and received[0].path == "/inbox"  # one per shared inbox
    verify_cavage(received[0], (await fetch_public_key(net.http, CLUB))[1])
    [create] = _articles(peer)
    article = create["object"]
    minutes_uri = f"https://b.test/events/{event_id}/minutes"
    assert (create["type"], create["actor"]) == ("Create", CLUB)
    assert article["id"] == minutes_uri and article["url"] == minutes_uri
    assert article["attributedTo"] == CLUB
    assert article["name"] == "Repair café: minutes"
    assert article["summary"] == "Twelve lamps fixed; next time bikes."
    assert "<strong>twelve</strong>" in article["content"]
    assert article["inReplyTo"] == f"https://b.test/events/{event_id}"
    assert article["context"] == CLUB
    assert article["to"] == [PUBLIC] and f"{CLUB}/followers" in article["cc"]
    assert "updated" not in article

    # Alice on another Hearth instance finds the minutes on her home timeline.
    home = await a.web.get("/home")
    assert "Repair café: minutes" in home.text, home.text[-3000:]

    # The Article is served at its id, as a peer fetching it would see it.
    fetched = await net.http.get(minutes_uri, headers={"Accept": AS_TYPE})
    assert fetched.status_code == 200
    assert (fetched.json()["type"], fetched.json()["inReplyTo"]) == (
        "Article",
        article["inReplyTo"],
    )
    # The Event it replies to exists too.
    event = await net.http.get(article["inReplyTo"], headers={"Accept": AS_TYPE})
    assert event.json()["type"] == "Event"

    # An edit goes out as an Update of the same Article.
    peer.received.clear()
    await _write(
        b,
        event_id,
        "save",
        title="Repair café: minutes",
        summary="Thirteen lamps fixed; next time bikes.",
        body="## Done\n\nWe fixed **thirteen** lamps.",
    )
    await net.drain()
    [update] = _articles(peer)
    assert update["type"] == "Update" and update["object"]["id"] == minutes_uri
    assert "<strong>thirteen</strong>" in update["object"]["content"]
    assert "updated" in update["object"]

    # Deleting the meetup deletes its minutes where they went.
    peer.received.clear()
    deleted = await b.web.post_form(f"/events/{event_id}/delete", csrf_from=f"/events/{event_id}")
    assert deleted.status_code == 303
    await net.drain()
    tombstones = [
        r.json()["object"]
        for r in peer.posts()
        if r.json()["type"] == "Delete" and r.json()["object"].get("formerType") == "Article"
    ]
    assert [t["id"] for t in tombstones] == [minutes_uri]


async def test_members_only_minutes_go_to_remote_members_by_name(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    await organize_group(b, "club", mode="approval")
    mo = peer.add_actor("mo")
    response = await peer.post(net.http, f"{CLUB}/inbox", mo.activity("Follow", CLUB))
    assert response.status_code == 202
    await net.drain()
    assert await approve_follow_requests(b, "club") == 1
    event_id = await _past_meetup(b, "Members night")
    await net.drain()
    peer.received.clear()

    await _write(b, event_id, "publish", title="Members night", body="Only for us.")
    await net.drain()
    [create] = _articles(peer)
    assert create["object"]["to"] == [mo.uri] and create["object"]["cc"] == []
    assert PUBLIC not in create["to"] + create["cc"]
    unsigned = await net.http.get(
        f"https://b.test/events/{event_id}/minutes", headers={"Accept": AS_TYPE}
    )
    assert unsigned.status_code == 404
