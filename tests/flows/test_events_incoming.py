"""Meetups arriving from elsewhere (issue #4): alice on A follows a group on a scripted peer
(Follow delivered, Accept signed by the peer); the group's Create{Event} in Mobilizon's and
Gancio's shapes (the fixtures of ``tests/federation/fixtures``, moved to the peer and to
2030) lands on her calendar with its time and place; markup in names and descriptions is
neutralized; Update and Delete change and remove it; events whose id is on another origin,
or from actors nobody here follows, are ignored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from server.activitypub.follows import follow_remote
from server.activitypub.runtime import runtime_of
from server.models import Follow, InboxActivity, RemoteEvent, User
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import JsonObject, Peer, PeerActor
from tests.flows.scenes import rows

FIXTURES = Path(__file__).parents[1] / "federation" / "fixtures"
INBOX = "https://a.test/inbox"
PAGES = ("/me/calendar", "/home", "/events", "/")


class PeerGroup(PeerActor):
    """A Group on the peer (Mobilizon and Gancio publish events as group-like actors)."""

    def document(self) -> JsonObject:
        return {**super().document(), "type": "Group"}


def _group(peer: Peer, name: str) -> PeerGroup:
    group = PeerGroup(peer.host, name)
    peer.actors[name] = group
    return group


async def _alice_follows(net: FederationNet, peer: Peer, group: PeerActor) -> Instance:
    """A, where alice follows ``group``."""
    a = await net.add("a")
    await a.web.login_as_new("alice")
    await _follow(net, peer, a, group)
    return a


async def _follow(net: FederationNet, peer: Peer, a: Instance, group: PeerActor) -> None:
    """alice follows ``group``; the peer answers the Follow with a signed Accept."""
    remote = await runtime_of(a.app).remote.actor(group.uri)

    async def follow(session: Any) -> None:
        alice = (await session.exec(select(User).where(User.username == "alice"))).one()
        await follow_remote(session, a.uris, alice, remote)

    await a.run(follow)
    await net.drain()
    [sent] = [r.json() for r in peer.posts(f"/users/{group.name}/inbox")]
    assert (sent["type"], sent["object"]) == ("Follow", group.uri)
    await _send(net, peer, group.activity("Accept", sent), "follow accepted")
    [row] = await rows(a, Follow, Follow.followee_uri == group.uri)
    assert row.state == "accepted"


async def _send(net: FederationNet, peer: Peer, activity: JsonObject, result: str) -> None:
    """POST the activity signed by its actor, process it, check what A made of it."""
    response = await peer.post(net.http, INBOX, activity)
    assert response.status_code == 202, response.text
    await net.drain()
    a = net.instances["a"]
    [row] = await rows(a, InboxActivity, InboxActivity.activity_uri == activity["id"])
    assert row.result == result


def _fixture(name: str, replacements: dict[str, str]) -> JsonObject:
    """A fixture activity with its hosts and dates rewritten, and fresh ids."""
    text = (FIXTURES / name).read_text()
    for old, new in replacements.items():
        text = text.replace(old, new)
    activity: JsonObject = json.loads(text)
    activity["id"] = f"https://peer.test/activities/{uuid.uuid4()}"
    return activity


def _mobilizon(group: PeerActor) -> JsonObject:
    return _fixture(
        "mobilizon_event.json",
        {
            "https://mobilizon.fr/@metacartes": group.uri,
            "https://mobilizon.fr/@tcit": group.uri,
            "https://mobilizon.fr": "https://peer.test",
            "2025-05-03": "2030-05-03",
            "mai 2025": "mai 2030",
        },
    )


def moved_fixture(name: str, group: PeerActor, author: str, day: str) -> JsonObject:
    """A fixture whose ``author`` becomes ``group``, whose server becomes the peer and whose
    ``day`` (``YYYY-MM-DD``) moves to 2030."""
    origin = "/".join(author.split("/", 3)[:3])
    moves = {author: group.uri, origin: "https://peer.test", day: f"2030{day[4:]}"}
    return _fixture(name, moves)


def _gancio_string_address(group: PeerActor) -> JsonObject:
    author = "https://gancio.example/federation/u/gancio"
    return moved_fixture("gancio_event_place.json", group, author, "2025-05-03")


def _gancio_object_address(group: PeerActor) -> JsonObject:
    activity = _fixture(
        "gancio_event.json",
        {
            "https://demo.gancio.org/federation/u/gancio": group.uri,
            "https://demo.gancio.org": "https://peer.test",
            "2021-07-14": "2030-07-14",
        },
    )
    activity["object"]["location"]["address"] = {
        "type": "PostalAddress",
        "streetAddress": "Piazza del Colosseo 1",
        "postalCode": "00184",
        "addressLocality": "Roma",
        "addressCountry": "Italia",
    }
    return activity


def _utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2030, month, day, hour, minute, second, tzinfo=UTC)


async def _calendar(a: Instance) -> str:
    page = await a.web.get("/me/calendar")
    assert page.status_code == 200
    return page.text.split("Groups I follow in the fediverse", 1)[1]


async def test_mobilizon_and_gancio_events_land_on_the_calendar(
    net: FederationNet, peer: Peer
) -> None:
    market = _group(peer, "market")
    a = await _alice_follows(net, peer, market)
    shapes = [_mobilizon(market), _gancio_string_address(market), _gancio_object_address(market)]
    for activity in shapes:
        await _send(net, peer, activity, "stored event")

    stored = {row.uri: row for row in await rows(a, RemoteEvent)}
    assert set(stored) == {activity["object"]["id"] for activity in shapes}
    mobilizon, gancio, demo = (stored[activity["object"]["id"]] for activity in shapes)
    assert {row.actor_uri for row in stored.values()} == {market.uri}

    assert (mobilizon.name, mobilizon.timezone, mobilizon.status) == (
        "Café réparation",
        "Europe/Paris",
        "confirmed",
    )
    assert (mobilizon.starts_at, mobilizon.ends_at) == (_utc(5, 3, 12), _utc(5, 3, 15))
    assert mobilizon.location == (
        "Locaux de Framasoft, 10 Rue Jangot, 69007 Lyon, Auvergne Rhône Alpes, France"
    )
    assert (mobilizon.latitude, mobilizon.longitude) == (45.7517141, 4.8425657)
    assert mobilizon.online_url == "https://visio.framasoft.org/cafe-reparation"

    assert (gancio.name, gancio.starts_at) == ("Picture Show", _utc(5, 3, 19))
    assert gancio.location == "Fediverse TV, C/ Falsa 123"  # address as a plain string
    assert (gancio.latitude, gancio.longitude) == (40.4168, -3.7038)
    assert gancio.online_url == "https://stream.gancio.example/picture-show"

    assert (demo.name, demo.starts_at) == ("Demo event", _utc(7, 14, 15, 30, 57))
    assert demo.location == "Colosseo, Piazza del Colosseo 1, 00184 Roma, Italia"  # an object

    calendar = await _calendar(a)
    for row in (mobilizon, gancio, demo):
        assert row.name in calendar
        assert f'datetime="{row.starts_at.isoformat()}"' in calendar
        assert row.location in calendar
    assert 'datetime="2030-05-03T12:00:00+00:00"' in calendar
    assert "14:00–17:00 (Europe/Paris)" in calendar  # in the event's own zone
    order = [calendar.index(name) for name in ("Café réparation", "Picture Show", "Demo event")]
    assert order == sorted(order)  # soonest first


async def test_markup_from_a_peer_is_neutralized(net: FederationNet, peer: Peer) -> None:
    market = _group(peer, "market")
    a = await _alice_follows(net, peer, market)
    activity = _gancio_string_address(market)
    activity["object"] |= {
        "name": '<script>alert("x-name-script")</script>Night <img src=x '
        'onerror=alert("x-name-img")>market & more',
        "content": '<p>Stalls</p><script>alert("x-content-script")</script>'
        '<img src="https://peer.test/a.png" onerror="alert(\'x-content-img\')">',
        "summary": '<b onmouseover="alert(1)">Fri</b> <script>alert("x-summary")</script>',
    }
    activity["object"]["location"][1]["name"] = '<img src=x onerror=alert("x-place")>Hall'
    await _send(net, peer, activity, "stored event")

    [row] = await rows(a, RemoteEvent)
    assert (row.name, row.summary) == ("Night market & more", "Fri")
    assert row.location.startswith("Hall")
    for text in (row.name, row.summary, row.location, row.content_html):
        assert "<script" not in text and "onerror" not in text and "onmouseover" not in text
    assert "Stalls" in row.content_html
    for path in PAGES:
        page = await a.web.get(path)
        assert page.status_code == 200, path
        for marker in ("x-name", "x-content", "x-summary", "x-place", "onerror", "onmouseover"):
            assert marker not in page.text, (path, marker)
    calendar = await _calendar(a)
    assert "Night market &amp; more" in calendar and "&amp;amp;" not in calendar


async def test_update_and_delete_from_the_peer(net: FederationNet, peer: Peer) -> None:
    market = _group(peer, "market")
    a = await _alice_follows(net, peer, market)
    create = _gancio_string_address(market)
    uri = create["object"]["id"]
    await _send(net, peer, create, "stored event")

    moved = {
        **create["object"],
        "name": "Picture Show (moved)",
        "startTime": "2030-05-10T20:00:00+02:00",
        "endTime": "2030-05-10T22:00:00+02:00",
        "location": {"type": "Place", "name": "Cinema Paradiso", "address": "Via Roma 1"},
        "summary": "Cinema Paradiso, Friday, May 10, 08:00 PM GMT+2",
    }
    await _send(net, peer, market.activity("Update", moved), "event updated")
    [row] = await rows(a, RemoteEvent)
    assert (row.uri, row.name, row.starts_at, row.location) == (
        uri,
        "Picture Show (moved)",
        _utc(5, 10, 18),
        "Cinema Paradiso, Via Roma 1",
    )
    calendar = await _calendar(a)
    assert "Picture Show (moved)" in calendar and "Fediverse TV" not in calendar

    cancelled = {**moved, "status": "CANCELLED", "ical:status": "CANCELLED"}
    await _send(net, peer, market.activity("Update", cancelled), "event updated")
    [row] = await rows(a, RemoteEvent)
    assert row.status == "cancelled"
    assert "Cancelled" in await _calendar(a)

    tombstone = {"id": uri, "type": "Tombstone"}
    await _send(net, peer, market.activity("Delete", tombstone), "event deleted")
    assert await rows(a, RemoteEvent) == []
    assert "Picture Show" not in await _calendar(a)


async def test_events_nobody_may_send_are_ignored(net: FederationNet, peer: Peer) -> None:
    market, stranger = _group(peer, "market"), _group(peer, "stranger")
    a = await _alice_follows(net, peer, market)

    forged = _mobilizon(market)
    forged["object"]["id"] = "https://elsewhere.test/events/1"
    await _send(net, peer, forged, "ignored: not a note from the actor's origin")
    by_reference = market.activity("Create", "https://elsewhere.test/events/2")
    await _send(net, peer, by_reference, "ignored: not a note from the actor's origin")

    unfollowed = _gancio_string_address(stranger)
    unfollowed["object"]["id"] = "https://peer.test/federation/m/7"
    await _send(net, peer, unfollowed, "ignored: nobody here follows the author")
    update = stranger.activity("Update", unfollowed["object"])
    await _send(net, peer, update, "ignored: nobody here follows the author")
    assert await rows(a, RemoteEvent) == []

    # Nor can another actor of the same server change or remove it, even one alice follows.
    genuine = _gancio_string_address(market)
    await _send(net, peer, genuine, "stored event")
    neighbour = _group(peer, "neighbour")
    await _follow(net, peer, a, neighbour)
    tombstone = {"id": genuine["object"]["id"], "type": "Tombstone"}
    for actor, why in ((stranger, "nobody here follows the author"), (neighbour, "")):
        hijack = {**genuine["object"], "name": "Free beer", "attributedTo": actor.uri}
        for kind in ("Create", "Update"):
            result = f"ignored: {why or 'event of another actor'}"
            await _send(net, peer, actor.activity(kind, hijack), result)
        await _send(net, peer, actor.activity("Delete", tombstone), "ignored: unknown object")
    [row] = await rows(a, RemoteEvent)
    assert (row.name, row.actor_uri) == ("Picture Show", market.uri)
    assert "Free beer" not in await _calendar(a)
    assert "elsewhere.test" not in await _calendar(a)


async def test_a_member_publishing_for_a_mobilizon_group(net: FederationNet, peer: Peer) -> None:
    """Mobilizon sends a group's event from the member who created it, the group being in
    ``attributedTo``: it is the followed group's event, which that member may then change."""
    group = _group(peer, "metacartes")
    member = peer.add_actor("tcit")
    a = await _alice_follows(net, peer, group)
    activity = _fixture(
        "mobilizon_event.json",
        {
            "https://mobilizon.fr/@metacartes": group.uri,
            "https://mobilizon.fr/@tcit": member.uri,
            "https://mobilizon.fr": "https://peer.test",
            "2025-05-03": "2030-05-03",
            "mai 2025": "mai 2030",
        },
    )
    assert activity["actor"] == member.uri and activity["object"]["attributedTo"] == group.uri
    await _send(net, peer, activity, "stored event")
    [event] = await rows(a, RemoteEvent)
    assert (event.actor_uri, event.sent_by) == (group.uri, member.uri)
    assert event.name in await _calendar(a)

    stranger = peer.add_actor("stranger")
    takeover = {**activity["object"], "name": "Hijacked"}
    forged = stranger.activity("Update", takeover)
    await _send(net, peer, forged, "ignored: event of another actor")
    deletion = member.activity("Delete", activity["object"]["id"])
    await _send(net, peer, deletion, "event deleted")
    assert await rows(a, RemoteEvent) == []
