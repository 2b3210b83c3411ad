"""Meetups leaving an instance (issue #4): an organizer on B publishes through the web form;
alice on A (followed with /follow) and two accounts of a scripted peer (one shared inbox)
receive one signed Create{Event} per inbox in Mobilizon's vocabulary, whose ``summary`` is
the line Mastodon shows. Edits, cancellation and deletion follow as Update / Delete; a
weekly series is announced an occurrence at a time (time moves in the database, never by
sleeping); members-only meetups never leave the instance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import col, select

from server.activitypub.runtime import runtime_of
from server.models import Delivery, Event, InboxActivity, OutboxActivity, RemoteEvent
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, fetch_public_key, verify_cavage
from tests.flows.scenes import follow_from_peer, organize_group, rows

CLUB = "https://b.test/groups/club"
SHARED = "https://peer.test/inbox"
INBOXES = ["https://a.test/inbox", SHARED]
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TITLE = "Repair café & bikes"
#: What Mastodon shows under the name: date, time, zone and place, in the event's zone.
SUMMARY = "Sat 4 May 2030, 14:00–17:00 (Europe/Paris) · Community hall, Lyon"
PARIS = ZoneInfo("Europe/Paris")


async def _club_with_followers(net: FederationNet, peer: Peer) -> tuple[Instance, Instance]:
    """B's club, followed by alice on A (through /follow) and by bob and carol on the peer."""
    a = await net.add("a")
    b = await net.add("b")
    await organize_group(b, "club")
    await a.web.login_as_new("alice")
    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    for name in ("bob", "carol"):
        await follow_from_peer(net, peer, peer.add_actor(name), b, "club")
    await net.drain()
    peer.received.clear()  # the Accepts
    return a, b


async def _create(b: Instance, **changes: Any) -> int:
    data = {**FORM, "title": TITLE, **{key: str(value) for key, value in changes.items()}}
    response = await b.web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def _submit(b: Instance, path: str, data: dict[str, str], csrf_from: str) -> None:
    response = await b.web.post_form(path, data, csrf_from=csrf_from)
    assert response.status_code == 303, response.text


def _about_the_poll(activity: dict[str, Any]) -> bool:
    """Activities about the meetup's RSVP poll (tested in test_rsvp_dialects)."""
    obj = activity.get("object")
    if isinstance(obj, dict):
        return obj.get("type") == "Question" or str(obj.get("id", "")).endswith("/poll")
    return str(obj).endswith("/poll")


def _event_posts(peer: Peer) -> list[Any]:
    return [r for r in peer.posts() if not _about_the_poll(r.json())]


def _received(peer: Peer) -> list[dict[str, Any]]:
    assert {r.path for r in peer.posts()} <= {"/inbox"}  # bob and carol share one inbox
    return [r.json() for r in _event_posts(peer)]


async def _deliveries(b: Instance, object_uri: str) -> list[tuple[str, list[str]]]:
    """``(type, sorted inboxes)`` of each activity B published about ``object_uri``."""
    published = await rows(b, OutboxActivity, OutboxActivity.object_uri == object_uri)
    result = []
    for activity in published:
        sent = await rows(b, Delivery, Delivery.activity_id == activity.id)
        assert {d.state for d in sent} == {"delivered"}
        result.append((activity.type, sorted(d.inbox for d in sent)))
    return result


async def _get(net: FederationNet, url: str, accept: str) -> httpx.Response:
    return await net.http.get(url, headers={"Accept": accept})


async def test_a_new_meetup_reaches_each_follower_inbox_once(
    net: FederationNet, peer: Peer
) -> None:
    a, b = await _club_with_followers(net, peer)
    event_id = await _create(b)
    event_uri = b.uris.event(event_id)
    await net.drain()

    [received] = _event_posts(peer)
    verify_cavage(received, (await fetch_public_key(net.http, CLUB))[1])
    [create] = _received(peer)
    assert (create["type"], create["actor"]) == ("Create", CLUB)
    assert await _deliveries(b, event_uri) == [("Create", INBOXES)]  # no Announce copies
    event = create["object"]
    assert {key: event[key] for key in ("id", "type", "name", "summary", "attributedTo")} == {
        "id": event_uri,
        "type": "Event",
        "name": TITLE,
        "summary": SUMMARY,
        "attributedTo": CLUB,
    }
    assert event["startTime"] == "2030-05-04T14:00:00+02:00"
    assert event["endTime"] == "2030-05-04T17:00:00+02:00"
    assert (event["timezone"], event["joinMode"], event["status"]) == (
        "Europe/Paris",
        "free",
        "CONFIRMED",
    )
    assert event["location"] == {
        "type": "Place",
        "name": "Community hall, 12 Main St, 69001 Lyon",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "12 Main St",
            "postalCode": "69001",
            "addressLocality": "Lyon",
            "addressCountry": "France",
        },
        "latitude": 45.76,
        "longitude": 4.83,
    }
    assert "<strong>broken lamps</strong>" in event["content"]
    assert create["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert create["cc"] == [f"{CLUB}/followers"]
    # The embedded Event has no @context of its own: the activity's defines its terms.
    terms = create["@context"][2]
    for term in ("mz", "timezone", "joinMode", "status", "PostalAddress", "streetAddress"):
        assert term in terms, term

    inbound = await rows(a, InboxActivity, InboxActivity.type == "Create")
    assert sorted(row.result for row in inbound) == ["stored event", "stored post"]  # + poll
    [stored] = await rows(a, RemoteEvent)
    assert (stored.uri, stored.actor_uri, stored.name, stored.summary) == (
        event_uri,
        CLUB,
        TITLE,
        SUMMARY,
    )
    assert stored.starts_at == datetime(2030, 5, 4, 12, 0, tzinfo=ZoneInfo("UTC"))
    assert stored.location == "Community hall, 12 Main St, 69001 Lyon, France"
    assert (stored.timezone, stored.status) == ("Europe/Paris", "confirmed")

    page = await a.web.get("/me/calendar")
    assert page.status_code == 200
    calendar = page.text.split("Groups I follow in the fediverse", 1)[1]
    assert "Repair café &amp; bikes" in calendar and "&amp;amp;" not in calendar
    assert "14:00–17:00 (Europe/Paris)" in calendar  # in the meetup's own zone
    assert 'datetime="2030-05-04T12:00:00+00:00"' in calendar
    assert "Community hall, 12 Main St, 69001 Lyon, France" in calendar


async def test_edit_cancel_and_delete_reach_followers(net: FederationNet, peer: Peer) -> None:
    a, b = await _club_with_followers(net, peer)
    event_id = await _create(b)
    event_uri = b.uris.event(event_id)
    await net.drain()

    document = await _get(net, event_uri, AS_TYPE)
    assert document.status_code == 200
    assert document.headers["content-type"].startswith(AS_TYPE)
    assert (document.json()["id"], document.json()["summary"]) == (event_uri, SUMMARY)
    assert (await _get(net, event_uri, LD)).json()["type"] == "Event"
    html = await _get(net, event_uri, BROWSER)
    assert html.headers["content-type"].startswith("text/html")
    assert "Repair café &amp; bikes" in html.text
    outbox = (await _get(net, f"{CLUB}/outbox?page=1", AS_TYPE)).json()
    assert [(item["type"], item["object"]["id"]) for item in outbox["orderedItems"]] == [
        ("Create", f"{event_uri}/poll"),
        ("Create", event_uri),
    ]

    edited = {**FORM, "title": "Repair café (moved)", "start_time": "15:00"}
    edited |= {"end_time": "18:00", "venue_name": "Library", "visibility": "public"}
    await _submit(b, f"/events/{event_id}/edit", edited, f"/events/{event_id}/edit")
    await net.drain()
    [_, update_activity] = _received(peer)
    assert update_activity["type"] == "Update"
    moved = update_activity["object"]
    assert (moved["id"], moved["name"], moved["startTime"]) == (
        event_uri,
        "Repair café (moved)",
        "2030-05-04T15:00:00+02:00",
    )
    assert moved["summary"] == "Sat 4 May 2030, 15:00–18:00 (Europe/Paris) · Library, Lyon"
    assert moved["location"]["name"] == "Library, 12 Main St, 69001 Lyon"
    [stored] = await rows(a, RemoteEvent)
    assert (stored.name, stored.starts_at.hour, stored.summary) == (
        "Repair café (moved)",
        13,
        moved["summary"],
    )
    assert stored.location.startswith("Library, ")

    await _submit(b, f"/events/{event_id}/cancel", {}, f"/events/{event_id}/edit")
    await net.drain()
    [*_, cancel] = _received(peer)
    assert (cancel["type"], cancel["object"]["status"]) == ("Update", "CANCELLED")
    assert (await _get(net, event_uri, AS_TYPE)).json()["status"] == "CANCELLED"
    [stored] = await rows(a, RemoteEvent)
    assert stored.status == "cancelled"
    calendar = (await a.web.get("/me/calendar")).text.split("fediverse", 1)[1]
    assert "Repair café (moved)" in calendar and "Cancelled" in calendar

    await _submit(b, f"/events/{event_id}/delete", {}, f"/events/{event_id}/edit")
    await net.drain()
    [*_, delete] = _received(peer)
    assert delete["type"] == "Delete"
    assert delete["object"] == {"id": event_uri, "type": "Tombstone", "formerType": "Event"}
    assert [item["type"] for item in _received(peer)] == ["Create", "Update", "Update", "Delete"]
    assert await _deliveries(b, event_uri) == [
        (kind, INBOXES) for kind in ("Create", "Update", "Update", "Delete")
    ]
    assert await rows(a, RemoteEvent) == []
    assert "Repair café" not in (await a.web.get("/me/calendar")).text
    assert (await _get(net, event_uri, AS_TYPE)).status_code == 404


async def _shift_series(b: Instance, by: timedelta) -> None:
    """Move every occurrence of every series, as if time had passed by ``-by``."""

    async def shift(session: Any) -> None:
        for event in await session.exec(select(Event).where(col(Event.series_id).is_not(None))):
            event.starts_at, event.ends_at = event.starts_at + by, event.ends_at + by
            session.add(event)

    await b.run(shift)


async def test_a_weekly_series_is_announced_one_occurrence_at_a_time(
    net: FederationNet, peer: Peer
) -> None:
    a, b = await _club_with_followers(net, peer)
    first_day = datetime.now(PARIS).date() + timedelta(days=3)
    await _create(
        b,
        title="Weekly repair café",
        start_date=first_day.isoformat(),
        start_time="19:00",
        end_time="21:00",
        repeat="weekly",
        count=4,
    )
    await net.drain()
    occurrences = await rows(b, Event)
    assert len(occurrences) == 4
    uris = [b.uris.event(event.id or 0) for event in occurrences]
    # Created: the occurrences in 3 and 10 days; not those in 17 and 24 days.
    # (two deliveries to one inbox run concurrently: their order is not fixed)
    assert sorted(item["object"]["id"] for item in _received(peer)) == sorted(uris[:2])
    assert [event.federated_at is not None for event in await rows(b, Event)] == [
        True,
        True,
        False,
        False,
    ]

    await _shift_series(b, -timedelta(days=7))  # a week passes
    worker = runtime_of(b.app).worker
    assert await worker.announce_due_meetups(force=True) == 1
    assert await worker.announce_due_meetups(force=True) == 0
    await net.drain()
    assert await worker.announce_due_meetups(force=True) == 0
    await net.drain()
    received = _received(peer)
    assert sorted((item["type"], item["object"]["id"]) for item in received) == sorted(
        ("Create", uri) for uri in uris[:3]
    )
    assert received[2]["object"]["id"] == uris[2]  # the new one came last
    assert received[2]["object"]["startTime"].endswith(("+01:00", "+02:00"))
    assert await _deliveries(b, uris[2]) == [("Create", INBOXES)]
    assert await _deliveries(b, uris[3]) == []
    assert sorted(event.uri for event in await rows(a, RemoteEvent)) == sorted(uris[:3])


async def test_members_only_meetups_are_never_delivered(net: FederationNet, peer: Peer) -> None:
    a, b = await _club_with_followers(net, peer)
    one_off = await _create(b, visibility="members")
    soon = datetime.now(PARIS).date() + timedelta(days=2)
    await _create(b, visibility="members", start_date=soon.isoformat(), repeat="weekly", count=3)
    await net.drain()
    await _shift_series(b, -timedelta(days=7))
    assert await runtime_of(b.app).worker.announce_due_meetups(force=True) == 0
    await net.drain()

    assert peer.posts() == []
    assert await rows(a, RemoteEvent) == []
    assert await rows(b, OutboxActivity, col(OutboxActivity.object_uri).like("%/events/%")) == []
    for event in await rows(b, Event):
        assert (await _get(net, b.uris.event(event.id or 0), AS_TYPE)).status_code == 404
    assert (await _get(net, f"{CLUB}/outbox?page=1", AS_TYPE)).json()["orderedItems"] == []
    assert await rows(a, InboxActivity, InboxActivity.type == "Create") == []
    assert (await _get(net, b.uris.event(one_off), BROWSER)).status_code == 404  # not a member


async def test_a_meetup_made_members_only_is_taken_back_from_followers(
    net: FederationNet, peer: Peer
) -> None:
    a, b = await _club_with_followers(net, peer)
    event_id = await _create(b)
    event_uri = b.uris.event(event_id)
    await net.drain()
    assert [row.uri for row in await rows(a, RemoteEvent)] == [event_uri]

    secret = {**FORM, "title": TITLE, "visibility": "members", "venue_name": "Back room"}
    await _submit(b, f"/events/{event_id}/edit", secret, f"/events/{event_id}/edit")
    await net.drain()
    [_, delete] = _received(peer)
    assert (delete["type"], delete["object"]["id"]) == ("Delete", event_uri)
    assert "Back room" not in str(delete)
    assert await rows(a, RemoteEvent) == []

    public = {**FORM, "title": TITLE, "visibility": "public"}
    await _submit(b, f"/events/{event_id}/edit", public, f"/events/{event_id}/edit")
    await net.drain()
    [*_, create] = _received(peer)
    assert (create["type"], create["object"]["id"]) == ("Create", event_uri)
    assert await _deliveries(b, event_uri) == [
        (kind, INBOXES) for kind in ("Create", "Delete", "Create")
    ]
    assert [row.uri for row in await rows(a, RemoteEvent)] == [event_uri]
