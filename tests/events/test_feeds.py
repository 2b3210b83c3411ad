"""ICS calendars (parsed back with icalendar), the Atom feed, and what calendar apps see change."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from tests.events.conftest import FORM, Organizer
from tests.web import WebClient

PARIS = ZoneInfo("Europe/Paris")


def _events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return [component for component in calendar.walk("VEVENT")]


async def test_group_calendar_has_the_fields_calendar_apps_need(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id()
    response = await web.get("/groups/club/events.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    (vevent,) = _events(response.content)
    assert vevent["UID"] == f"event-{event_id}@localhost:8000"
    assert vevent["SUMMARY"] == "Repair café"
    assert vevent.decoded("DTSTART") == datetime(2030, 5, 4, 14, 0, tzinfo=PARIS)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent["STATUS"] == "CONFIRMED"
    assert int(vevent["SEQUENCE"]) == 0
    assert str(vevent["URL"]) == f"http://localhost:8000/events/{event_id}"
    assert "Community hall" in str(vevent["LOCATION"]) and "Lyon" in str(vevent["LOCATION"])
    assert vevent.decoded("GEO") == (45.76, 4.83) or tuple(
        vevent["GEO"].to_ical().decode().split(";")
    ) == ("45.76", "4.83")


async def test_edits_raise_sequence_and_cancellation_sets_status(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id()
    edit = await web.post_form(
        f"/events/{event_id}/edit",
        {**FORM, "repeat": "none", "start_time": "15:00", "end_time": "18:00"},
        csrf_from=f"/events/{event_id}/edit",
    )
    assert edit.status_code == 303
    (vevent,) = _events((await web.get(f"/events/{event_id}.ics")).content)
    assert int(vevent["SEQUENCE"]) == 1
    assert vevent.decoded("DTSTART").hour == 15
    await web.post_form(f"/events/{event_id}/cancel", {}, csrf_from=f"/events/{event_id}")
    (vevent,) = _events((await web.get("/groups/club/events.ics")).content)
    assert vevent["STATUS"] == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == 2
    assert (
        vevent["UID"] == f"event-{event_id}@localhost:8000"
    )  # the same event, so calendars update it


async def test_all_day_events_are_dates(organizer: Organizer, web: WebClient) -> None:
    event_id = await organizer.create_event_id(all_day="on", end_date="2030-05-05")
    (vevent,) = _events((await web.get(f"/events/{event_id}.ics")).content)
    assert str(vevent.decoded("DTSTART")) == "2030-05-04"
    assert str(vevent.decoded("DTEND")) == "2030-05-06"


async def test_instance_calendar_and_webcal_links(organizer: Organizer, web: WebClient) -> None:
    await organizer.create_event_id()
    body = (await web.get("/events.ics")).content
    assert [str(e["SUMMARY"]) for e in _events(body)] == ["Repair café"]
    page = await web.get("/groups/club/events")
    assert "webcal://localhost:8000/groups/club/events.ics" in page.text


async def test_atom_feed_lists_posts_and_meetups(organizer: Organizer, web: WebClient) -> None:
    await organizer.create_event_id()
    await web.post_form(
        "/groups/club/posts", {"content": "Hello", "visibility": "public"}, csrf_from="/groups/club"
    )
    response = await web.get("/groups/club/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own feed)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [entry.findtext("a:title", namespaces=ns) for entry in root.findall("a:entry", ns)]
    assert "Repair café" in titles and "Chess Club: news" in titles
    # RFC 4287: a feed has an author (or every entry does), entries have dates.
    assert root.findtext("a:author/a:name", namespaces=ns) == "Chess Club"
    assert root.findtext("a:author/a:uri", namespaces=ns) == "http://localhost:8000/groups/club"
    for entry in root.findall("a:entry", ns):
        for field in ("a:published", "a:updated"):
            stamp = datetime.fromisoformat(entry.findtext(field, namespaces=ns) or "")
            assert stamp.tzinfo is not None  # RFC 3339: with an offset
    meetup = next(
        e
        for e in root.findall("a:entry", ns)
        if e.findtext("a:title", namespaces=ns) == "Repair café"
    )
    summary = meetup.findtext("a:summary", namespaces=ns) or ""
    assert "4 May" in summary and "14:00" in summary
    assert summary.endswith(" · Community hall, 12 Main St, Lyon")
    content = meetup.findtext("a:content", namespaces=ns) or ""
    assert content.startswith("<p><strong>") and "4 May" in content.split("</strong>")[0]
    assert "<br>Community hall, 12 Main St, Lyon</p>" in content
    assert "<strong>broken lamps</strong>" in content


async def test_a_series_is_one_recurring_event_with_overrides_and_exceptions(
    organizer: Organizer, web: WebClient
) -> None:
    await organizer.create_event(
        start_date="2030-03-19",
        start_time="19:00",
        end_time="21:00",
        repeat="weekly",
        weekday_TU="on",
        count="4",
    )
    calendar = await web.get("/groups/club/events")
    links = [
        int(p.split('"')[0]) for p in calendar.text.split('href="/events/')[1:] if p[0].isdigit()
    ]
    ids = list(dict.fromkeys(links))  # the series' line links its next date, then every date
    assert len(ids) == 4
    second, third = ids[1], ids[2]
    await web.post_form(f"/events/{second}/cancel", {}, csrf_from=f"/events/{second}")
    await web.post_form(f"/events/{third}/delete", {}, csrf_from=f"/events/{third}")

    vevents = _events((await web.get("/groups/club/events.ics")).content)
    masters = [v for v in vevents if "RRULE" in v]
    assert len(masters) == 1
    master = masters[0]
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;INTERVAL=1;BYDAY=TU"
    assert master.decoded("DTSTART") == datetime(2030, 3, 19, 19, 0, tzinfo=PARIS)
    assert [d.dt for d in master["EXDATE"].dts] == [datetime(2030, 4, 2, 19, 0, tzinfo=PARIS)]
    overrides = [v for v in vevents if "RECURRENCE-ID" in v]
    assert [v["UID"] for v in overrides] == [master["UID"]]
    assert overrides[0].decoded("RECURRENCE-ID") == datetime(2030, 3, 26, 19, 0, tzinfo=PARIS)
    assert overrides[0]["STATUS"] == "CANCELLED"
    assert all(v["UID"] == master["UID"] for v in vevents)  # no stray copies of occurrences
    assert master["UID"].endswith("@localhost:8000")  # the UID's host keeps the port

    # One occurrence's own .ics has the same identity as in the group calendar (UID plus
    # RECURRENCE-ID), so a calendar holding both shows the meetup once.
    first = ids[0]
    (single,) = _events((await web.get(f"/events/{first}.ics")).content)
    assert single["UID"] == master["UID"]
    assert single.decoded("RECURRENCE-ID") == datetime(2030, 3, 19, 19, 0, tzinfo=PARIS)
    assert single.decoded("DTSTART") == datetime(2030, 3, 19, 19, 0, tzinfo=PARIS)
    (cancelled,) = _events((await web.get(f"/events/{second}.ics")).content)
    assert (cancelled["UID"], cancelled.decoded("RECURRENCE-ID")) == (
        overrides[0]["UID"],
        overrides[0].decoded("RECURRENCE-ID"),
    )
    assert cancelled["STATUS"] == "CANCELLED"


async def test_the_group_calendar_answers_304_until_something_changes(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id()
    first = await web.get("/groups/club/events.ics")
    etag = first.headers["etag"]
    again = await web.get("/groups/club/events.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert (await web.get("/groups/club/events.ics")).content == first.content
    await web.post_form(f"/events/{event_id}/cancel", {}, csrf_from=f"/events/{event_id}")
    changed = await web.get("/groups/club/events.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert b"STATUS:CANCELLED" in changed.content
    await web.post_form(f"/events/{event_id}/delete", {}, csrf_from=f"/events/{event_id}")
    gone = await web.get(
        "/groups/club/events.ics", headers={"If-None-Match": changed.headers["etag"]}
    )
    assert gone.status_code == 200 and b"BEGIN:VEVENT" not in gone.content
