"""Reading calendars as the big calendar apps export them (fixtures in ``fixtures/``, written
after each app's documented export shape; "now" is 1 January 2027 so they stay valid):

- google.ics: Google Calendar's "public address in iCal format" (PRODID "-//Google Inc//Google
  Calendar 70.9054//EN", X-WR-CALNAME / X-WR-TIMEZONE, a VTIMEZONE with X-LIC-LOCATION,
  RRULE with UNTIL in UTC plus EXDATE;TZID, all-day VALUE=DATE, a Meet link as LOCATION,
  STATUS:CANCELLED kept in the feed, past events).
- outlook.ics: Exchange/Outlook published calendar (Windows zone names "Romance Standard
  Time" with a VTIMEZONE whose rules start in 1601, "W. Europe Standard Time" without one,
  X-MICROSOFT-CDO-* properties, 100+-character folded UIDs).
- apple.ics: Apple Calendar (VTIMEZONE America/New_York, X-APPLE-STRUCTURED-LOCATION,
  X-APPLE-TRAVEL-ADVISORY-BEHAVIOR, a LOCATION with a line break, monthly BYDAY=2TH with
  COUNT across the US daylight-saving change).
- nextcloud.ics: the sabre/dav export of a Nextcloud calendar (PRODID "-//SabreDAV//SabreDAV//EN",
  REFRESH-INTERVAL, a weekly master plus RECURRENCE-ID overrides: one moved and renamed, one
  cancelled).
- floating.ics: a hand-made calendar with floating times and no zone at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from server.services.calendar_reading import (
    MAX_PER_EVENT,
    CalendarError,
    Occurrence,
    read_calendar,
)

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _read(name: str, zone: str = "Europe/Lisbon") -> list[Occurrence]:
    return read_calendar((FIXTURES / name).read_bytes(), zone, NOW).occurrences


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_google_weekly_series_with_exdate_until_and_daylight_saving() -> None:
    swaps = [o for o in _read("google.ics") if o.title == "Book swap"]
    starts = [o.starts_at for o in swaps]
    # Tuesdays 12 Jan – 30 Mar at 18:30 Paris, without 9 Feb (EXDATE), UNTIL inclusive.
    assert len(swaps) == 11
    assert _at("2027-02-09T17:30") not in starts
    assert starts[0] == _at("2027-01-12T17:30")  # CET
    assert starts[-1] == _at("2027-03-30T16:30")  # CEST: still 18:30 on the wall clock
    assert {o.timezone for o in swaps} == {"Europe/Paris"}
    assert swaps[0].ends_at - swaps[0].starts_at == _at("2027-01-01T01:30") - NOW
    assert (
        swaps[0].location == "Bibliothèque Marguerite Duras, 79 Rue Nationale, 75013 Paris, France"
    )
    assert swaps[0].description == "Bring a book to swap.\nEveryone welcome."
    assert len({o.recurrence_key for o in swaps}) == 11


def test_google_all_day_online_cancelled_and_past_events() -> None:
    found = {o.title: o for o in _read("google.ics")}
    fair = found["Spring book fair"]
    assert fair.all_day and fair.timezone == "Europe/Paris"  # X-WR-TIMEZONE
    assert fair.starts_at == _at("2027-03-19T23:00")
    assert fair.ends_at == _at("2027-03-21T23:00")  # two whole days
    talk = found["Online author talk"]
    assert talk.online_url == "https://meet.google.com/abc-defg-hij" and talk.location == ""
    assert talk.timezone == "UTC"
    assert found["Zine workshop"].status == "cancelled"
    assert "Last autumn's reading" not in found


def test_icalendar_maps_windows_zone_names_with_cldr() -> None:
    assert WINDOWS_TO_OLSON["Romance Standard Time"] == "Europe/Paris"
    assert WINDOWS_TO_OLSON["W. Europe Standard Time"] == "Europe/Berlin"


def test_outlook_windows_zone_names() -> None:
    committee, training, day_out = _read("outlook.ics")
    assert committee.title == "Committee meeting"
    assert committee.timezone == "Europe/Paris"
    assert committee.starts_at == _at("2027-01-18T18:00")
    assert committee.uid.startswith("040000008200E00074C5B7101A82E008") and len(committee.uid) > 100
    assert training.timezone == "Europe/Berlin"  # no VTIMEZONE: the CLDR mapping
    assert training.starts_at == _at("2027-04-07T16:00")  # summer time
    assert day_out.all_day and day_out.timezone == "Europe/Lisbon"  # the import's zone


def test_apple_monthly_rule_across_daylight_saving() -> None:
    exchanges = _read("apple.ics")
    assert [o.starts_at for o in exchanges] == [
        _at("2027-01-15T00:00"),
        _at("2027-02-12T00:00"),
        _at("2027-03-12T00:00"),
        _at("2027-04-08T23:00"),  # 19:00 EDT
    ]
    assert exchanges[0].timezone == "America/New_York"
    assert exchanges[0].location.startswith("Brooklyn Public Library, Grand Army Plaza")


def test_nextcloud_recurrence_id_overrides() -> None:
    rehearsals = _read("nextcloud.ics")
    assert len(rehearsals) == 6
    moved = next(o for o in rehearsals if o.recurrence_key == "20270121T180000Z")
    assert moved.title == "Choir rehearsal (with the orchestra)"
    assert moved.starts_at == _at("2027-01-21T19:00")
    cancelled = next(o for o in rehearsals if o.recurrence_key == "20270204T180000Z")
    assert cancelled.status == "cancelled"
    assert sum(o.status == "confirmed" for o in rehearsals) == 5


def test_floating_times_use_the_import_zone() -> None:
    [cafe] = _read("floating.ics", zone="America/Montreal")
    assert cafe.timezone == "America/Montreal"
    assert cafe.starts_at == _at("2027-01-16T19:00")  # 14:00 EST


def test_an_endless_daily_rule_is_capped() -> None:
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:daily\r\n"
        "DTSTART:20270101T090000Z\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Walk\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    walks = read_calendar(data.encode(), "UTC", NOW).occurrences
    assert len(walks) == MAX_PER_EVENT
    assert walks[-1].starts_at < _at("2028-01-02T00:00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!doctype html><html><body>Sign in</body></html>", "not an iCalendar file"),
        (b"", "not an iCalendar file"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:garbage\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n",
            "invalid DTSTART",
        ),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:No start\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n",
            "has no DTSTART",
        ),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270101T100000Z\r\n"
            b"RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "Expected frequency",
        ),
        (b"BEGIN:VCALENDAR\r\n\xff\xfe\x00garbage", "broken"),
    ],
)
def test_broken_calendars_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        read_calendar(data, "UTC", NOW)
