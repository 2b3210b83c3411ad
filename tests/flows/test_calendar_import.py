"""A group subscribed to an external calendar (issue #18 §1), end to end on the test network:
the calendar is served by a host at ``cal.test`` with ETag / 304; the club on B imports it
through the API; a peer following the club receives Create / Update like for meetups made in
the web form; changes, cancellations and removals follow on the next read; a failing host
backs the polls off; a detached meetup is left alone; Hearth's own feed round-trips."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import col, update

from server.activitypub.runtime import runtime_of
from server.db import session_factory, transaction, utcnow
from server.models import CalendarImport, Event, ImportedEvent
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.calendar_imports.calendar_server import CalendarHost, calendar, vevent
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group, rows

PARIS = ZoneInfo("Europe/Paris")
API = "/api/v1/groups/club/calendar-imports"


def _day(days: int, hour: int = 19) -> datetime:
    return (datetime.now(PARIS) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0, tzinfo=None
    )


async def _token(b: Instance) -> dict[str, str]:
    async with transaction(session_factory(b.engine)) as session:
        token = await create_api_token(session, await get_user(session, "organizer"))
    return {"Authorization": f"Bearer {token}"}


def _posted(peer: Peer, kind: str) -> list[str]:
    """Names of the Events the peer received in activities of ``kind``."""
    names = []
    for received in peer.posts():
        activity = received.json()
        obj = activity.get("object")
        if activity.get("type") == kind and isinstance(obj, dict) and obj.get("type") == "Event":
            names.append(obj["name"])
    return names


async def _setup(net: FederationNet, peer: Peer, host: CalendarHost) -> tuple[Instance, Any]:
    b = await net.add("b", calendar_imports={"poll_minutes": 30, "max_backoff_hours": 4})
    await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("bob"), b, "club")
    peer.received.clear()
    net.router.add("cal.test", host.app)
    return b, await _token(b)


async def _force_due(b: Instance) -> None:
    async def due(session: Any) -> None:
        await session.exec(update(CalendarImport).values(next_poll_at=utcnow()))

    await b.run(due)


async def _events(b: Instance) -> dict[str, Event]:
    return {event.title: event for event in await rows(b, Event)}


async def test_subscribe_update_cancel_and_poll_politely(net: FederationNet, peer: Peer) -> None:
    weekly = "RRULE:FREQ=WEEKLY;COUNT=8"
    host = CalendarHost(
        calendar(
            vevent("talk@cal", _day(20), "Author talk", "LOCATION:Library"),
            vevent("walk@cal", _day(25, 10), "Park walk"),
            vevent("swap@cal", _day(3), "Seed swap", weekly),
        )
    )
    b, auth = await _setup(net, peer, host)
    created = await b.web.client.post(API, json={"url": "webcal://cal.test/club.ics"}, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == "https://cal.test/club.ics" and body["name"] == "Club calendar"
    assert (body["created"], body["updated"], body["cancelled"]) == (10, 0, 0)
    await net.drain()
    # One-off meetups go out at once; a recurring event's occurrences when within two weeks.
    assert sorted(_posted(peer, "Create")) == ["Author talk", "Park walk", "Seed swap", "Seed swap"]
    page = await b.web.get(f"/events/{(await _events(b))['Author talk'].id}")
    assert "Imported from a calendar" in page.text and "Club calendar" in page.text
    peer.received.clear()

    # Unchanged: a conditional GET answered 304, nothing changes.
    await _force_due(b)
    assert (await runtime_of(b.app).worker.run_periodic(force=True))["calendar imports"] == 0
    assert host.requests[-1]["if-none-match"] == host.etag
    assert host.requests[-1]["if-modified-since"].endswith(" GMT")
    assert "if-none-match" not in host.requests[0]  # the first read is unconditional

    # The talk moves, the walk is cancelled, one swap is cancelled by an override.
    first_swap = _day(3)
    cancelled_swap = first_swap + timedelta(days=7)
    host.body = calendar(
        vevent("talk@cal", _day(21), "Author talk (new date)", "LOCATION:Library"),
        vevent("walk@cal", _day(25, 10), "Park walk", "STATUS:CANCELLED"),
        vevent("swap@cal", first_swap, "Seed swap", weekly),
        vevent(
            "swap@cal",
            cancelled_swap,
            "Seed swap",
            f"RECURRENCE-ID;TZID=Europe/Paris:{cancelled_swap:%Y%m%dT%H%M%S}",
            "STATUS:CANCELLED",
        ),
    )
    refreshed = await b.web.client.post(f"{API}/{body['id']}/refresh", headers=auth)
    assert refreshed.status_code == 200, refreshed.text
    assert (refreshed.json()["updated"], refreshed.json()["cancelled"]) == (1, 2)
    events = await _events(b)
    assert events["Author talk (new date)"].starts_at.astimezone(PARIS).replace(
        tzinfo=None
    ) == _day(21)
    assert events["Park walk"].status == "cancelled"
    swaps = sorted(
        (e for e in await rows(b, Event) if e.title == "Seed swap"), key=lambda e: e.starts_at
    )
    assert [e.status for e in swaps[:3]] == ["confirmed", "cancelled", "confirmed"]
    await net.drain()
    assert sorted(_posted(peer, "Update")) == ["Author talk (new date)", "Park walk", "Seed swap"]
    peer.received.clear()

    # Removed from the calendar: cancelled here (followers told).
    host.body = calendar(vevent("swap@cal", first_swap, "Seed swap", weekly))
    await b.web.client.post(f"{API}/{body['id']}/refresh", headers=auth)
    assert (await _events(b))["Author talk (new date)"].status == "cancelled"


async def test_failures_back_off_and_change_nothing(net: FederationNet, peer: Peer) -> None:
    host = CalendarHost(calendar(vevent("talk@cal", _day(20), "Author talk")))
    b, auth = await _setup(net, peer, host)
    created = await b.web.client.post(API, json={"url": "https://cal.test/c.ics"}, headers=auth)
    import_id = created.json()["id"]
    host.fail_with = 503
    waits = []
    for _ in range(3):
        await _force_due(b)
        before = utcnow()
        await runtime_of(b.app).worker.run_periodic(force=True)
        [item] = await rows(b, CalendarImport)
        waits.append(round((item.next_poll_at - before).total_seconds() / 60))
    assert waits == [60, 120, 240]  # 30 min doubled per failure, at most 4 hours
    assert item.failures == 3 and "HTTP 503" in item.last_error
    assert (await _events(b))["Author talk"].status == "confirmed"
    page = await b.web.get("/groups/club/calendar-imports")
    assert "Last read failed (3 times in a row)" in page.text and "HTTP 503" in page.text
    # A calendar that turns into an HTML page is an error too, not an empty calendar.
    host.fail_with, host.body, host.content_type = None, "<html>Sign in</html>", "text/html"
    response = await b.web.client.post(f"{API}/{import_id}/refresh", headers=auth)
    assert "not an iCalendar file" in response.json()["last_error"]
    assert (await _events(b))["Author talk"].status == "confirmed"
    host.body, host.content_type = (
        calendar(vevent("talk@cal", _day(20), "Author talk")),
        "text/calendar",
    )
    response = await b.web.client.post(f"{API}/{import_id}/refresh", headers=auth)
    assert response.json()["failures"] == 0 and response.json()["last_error"] == ""


async def test_bad_input_is_refused_and_nothing_is_stored(net: FederationNet, peer: Peer) -> None:
    host = CalendarHost("<html>not a calendar</html>")
    b, auth = await _setup(net, peer, host)
    cases = [
        ({"url": "ftp://cal.test/c.ics"}, 400, "https://"),
        ({"url": "https://10.0.0.7/c.ics"}, 400, "private address"),
        ({"url": "webcal://localhost/c.ics"}, 400, "private address"),
        ({"url": "https://cal.test/c.ics"}, 422, "not an iCalendar file"),
        ({"url": "https://nowhere.test/c.ics"}, 422, "could not be fetched"),
        ({"url": "https://cal.test/c.ics", "timezone": "Mars/Base"}, 400, "time zone"),
    ]
    for data, status, message in cases:
        response = await b.web.client.post(API, json=data, headers=auth)
        assert response.status_code == status, (data, response.text)
        assert message in response.text
    broken = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\nEND:VEVENT\r\n"
    upload = await b.web.client.post(
        API, content=broken, headers={**auth, "Content-Type": "text/calendar"}
    )
    assert upload.status_code == 422 and "broken" in upload.text
    assert await rows(b, CalendarImport) == [] and await rows(b, Event) == []


async def test_private_addresses_refused_by_the_safe_fetcher(
    net: FederationNet, peer: Peer
) -> None:
    """A public-looking name that resolves to a private address is refused when fetched."""
    from federation.safe_transport import SafeTransport

    async def resolver(host: str, port: int) -> list[str]:
        return ["192.168.1.20"]

    host = CalendarHost(calendar(vevent("talk@cal", _day(20), "Author talk")))
    b, auth = await _setup(net, peer, host)
    safe = httpx.AsyncClient(
        transport=SafeTransport(httpx.ASGITransport(app=host.app), resolver=resolver)
    )
    runtime_of(b.app).http = safe
    response = await b.web.client.post(API, json={"url": "https://cal.example/c.ics"}, headers=auth)
    assert response.status_code == 422
    assert "192.168.1.20 is not a public address" in response.text
    assert host.requests == []
    await safe.aclose()


async def test_detached_meetups_are_left_alone(net: FederationNet, peer: Peer) -> None:
    host = CalendarHost(calendar(vevent("talk@cal", _day(20), "Author talk")))
    b, auth = await _setup(net, peer, host)
    created = await b.web.client.post(API, json={"url": "https://cal.test/c.ics"}, headers=auth)
    talk = (await _events(b))["Author talk"]
    page_path = f"/events/{talk.id}"
    response = await b.web.post_form(f"/events/{talk.id}/detach", {}, csrf_from=page_path)
    assert response.status_code == 303
    assert "Imported, then detached" in (await b.web.get(page_path)).text
    host.body = calendar()  # removed from the calendar
    await b.web.client.post(f"{API}/{created.json()['id']}/refresh", headers=auth)
    assert (await _events(b))["Author talk"].status == "confirmed"
    [link] = await rows(b, ImportedEvent)
    assert link.detached


async def test_round_trip_of_hearths_own_feed(net: FederationNet, peer: Peer) -> None:
    """The club's feed (one-off meetups, a weekly series with an edited and a deleted
    occurrence) imported into another group: same meetups; a second full read changes nothing."""
    b = await net.add("b")
    await organize_group(b, "club")
    auth = await _token(b)
    await b.web.create_group("mirror", "Mirror")
    start = _day(5)
    one_off = {
        "title": "Picnic",
        "start": start.isoformat(),
        "timezone": "Europe/Paris",
        "venue_name": "Park",
    }
    assert (
        await b.web.client.post("/api/v1/groups/club/events", json=one_off, headers=auth)
    ).status_code == 201
    series = {
        "title": "Chess night",
        "start": _day(2, 20).isoformat(),
        "timezone": "Europe/Paris",
        "recurrence": {"frequency": "weekly", "count": 5},
    }
    made = await b.web.client.post("/api/v1/groups/club/events", json=series, headers=auth)
    ids = [item["id"] for item in made.json()["items"]]
    edited = await b.web.client.patch(
        f"/api/v1/events/{ids[1]}", json={"title": "Chess night (blitz)"}, headers=auth
    )
    assert edited.status_code == 200
    assert (await b.web.client.delete(f"/api/v1/events/{ids[2]}", headers=auth)).status_code == 204

    feed_api = "/api/v1/groups/mirror/calendar-imports"
    created = await b.web.client.post(
        feed_api, json={"url": "https://b.test/groups/club/events.ics"}, headers=auth
    )
    assert created.status_code == 201, created.text
    assert created.json()["created"] == 5  # picnic + 4 chess nights

    def summary(events: list[Event], group_id: int) -> list[tuple[str, datetime, datetime, str]]:
        return sorted(
            (e.title, e.starts_at, e.ends_at, e.venue_name)
            for e in events
            if e.group_id == group_id
        )

    events = await rows(b, Event)
    club_id, mirror_id = (
        events[0].group_id,
        next(e.group_id for e in events if e.group_id != events[0].group_id),
    )
    assert summary(events, mirror_id) == summary(events, club_id)

    async def forget_validators(session: Any) -> None:
        await session.exec(update(CalendarImport).values(etag="", last_modified=""))

    await b.run(forget_validators)
    again = await b.web.client.post(f"{feed_api}/{created.json()['id']}/refresh", headers=auth)
    assert (again.json()["created"], again.json()["updated"], again.json()["cancelled"]) == (
        0,
        0,
        0,
    )
    assert summary(await rows(b, Event), mirror_id) == summary(events, mirror_id)
    assert len(await rows(b, Event, col(Event.group_id) == mirror_id)) == 5


async def test_later_occurrences_are_announced_when_due(net: FederationNet, peer: Peer) -> None:
    """Like Hearth's own series: an occurrence weeks away goes out once it is two weeks away
    (time moves in the database, never by sleeping)."""
    host = CalendarHost(
        calendar(vevent("swap@cal", _day(30), "Seed swap", "RRULE:FREQ=WEEKLY;COUNT=3"))
    )
    b, auth = await _setup(net, peer, host)
    await b.web.client.post(API, json={"url": "https://cal.test/c.ics"}, headers=auth)
    await net.drain()
    assert _posted(peer, "Create") == []
    first = min(await rows(b, Event), key=lambda event: event.starts_at)

    async def come_closer(session: Any) -> None:
        soon = utcnow() + timedelta(days=10)
        await session.exec(
            update(Event)
            .where(col(Event.id) == first.id)
            .values(starts_at=soon, ends_at=soon + timedelta(hours=2))
        )

    await b.run(come_closer)
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    assert _posted(peer, "Create") == ["Seed swap"]
    [announced] = await rows(b, Event, col(Event.federated_at).is_not(None))
    assert announced.id == first.id
