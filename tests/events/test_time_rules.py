"""Wall-clock times and repeat rules: DST gaps and overlaps, series that cross DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.errors import InvalidInput
from server.services.events import EventFields, utc_span
from server.services.recurrence import Recurrence, occurrences, parse_rrule
from server.services.timezones import NonexistentLocalTime, local_to_utc, zone

PARIS = ZoneInfo("Europe/Paris")
CHICAGO = ZoneInfo("America/Chicago")


def test_a_time_in_the_spring_forward_gap_is_refused_with_a_clear_message() -> None:
    with pytest.raises(NonexistentLocalTime) as caught:
        local_to_utc(datetime(2026, 3, 29, 2, 30), PARIS)
    message = str(caught.value)
    assert "02:30 does not exist on 29 March 2026 in Europe/Paris" in message
    assert "03:30" in message
    assert caught.value.field == "start"


def test_a_time_repeated_when_clocks_go_back_is_taken_at_its_first_occurrence() -> None:
    moment = local_to_utc(datetime(2026, 10, 25, 2, 30), PARIS)
    assert moment == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still CEST (+02:00)


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a known time zone"):
        zone("Mars/Olympus_Mons")
    with pytest.raises(InvalidInput):
        zone("../../etc/passwd")


def test_weekly_series_keeps_its_local_time_across_dst() -> None:
    rule = Recurrence("weekly", by_day=("TU",), count=4).to_rrule()
    starts = occurrences(rule, datetime(2026, 3, 17, 19, 0), PARIS)
    local = [s.astimezone(PARIS) for s in starts]
    assert [(d.day, d.hour, d.minute) for d in local] == [
        (17, 19, 0),
        (24, 19, 0),
        (31, 19, 0),
        (7, 19, 0),
    ]
    assert [s.hour for s in starts] == [18, 18, 17, 17]  # UTC moves, the wall clock does not


def test_weekly_series_in_chicago_across_the_november_change() -> None:
    rule = Recurrence("weekly", by_day=("SA",), count=2).to_rrule()
    starts = occurrences(rule, datetime(2026, 10, 31, 10, 0), CHICAGO)
    assert [s.astimezone(CHICAGO).hour for s in starts] == [10, 10]
    assert [s.hour for s in starts] == [15, 16]


@pytest.mark.parametrize(
    ("by_day", "expected"),
    [(("2TU",), [13, 10, 10]), (("-1FR",), [30, 27, 27])],
)
def test_monthly_second_tuesday_and_last_friday(
    by_day: tuple[str, ...], expected: list[int]
) -> None:
    rule = Recurrence("monthly", by_day=by_day, count=3).to_rrule()
    starts = occurrences(rule, datetime(2026, 1, 1, 19, 0), PARIS)
    assert [s.astimezone(PARIS).day for s in starts] == expected
    assert {s.astimezone(PARIS).hour for s in starts} == {19}


def test_until_bounds_the_series_and_the_rule_round_trips() -> None:
    recurrence = Recurrence("weekly", interval=2, by_day=("MO", "TH"), until=date(2026, 2, 28))
    rule = recurrence.to_rrule()
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20260228T235959"
    assert parse_rrule(rule) == recurrence
    starts = occurrences(rule, datetime(2026, 2, 2, 18, 0), PARIS)
    assert [s.astimezone(PARIS).date() for s in starts] == [
        date(2026, 2, 2),
        date(2026, 2, 5),
        date(2026, 2, 16),
        date(2026, 2, 19),
    ]


def test_an_occurrence_in_the_gap_moves_forward_by_the_gap() -> None:
    rule = Recurrence("weekly", by_day=("SU",), count=2).to_rrule()
    starts = occurrences(rule, datetime(2026, 3, 22, 2, 30), PARIS)
    assert [s.astimezone(PARIS).strftime("%d %H:%M") for s in starts] == ["22 02:30", "29 03:30"]


@pytest.mark.parametrize(
    "recurrence",
    [
        Recurrence("daily"),
        Recurrence("weekly", interval=0),
        Recurrence("weekly", by_day=("2TU",)),
        Recurrence("monthly", by_day=("5TU",)),
        Recurrence("monthly", by_month_day=31),
        Recurrence("weekly", until=date(2026, 1, 1), count=3),
        Recurrence("weekly", count=500),
    ],
)
def test_rules_outside_the_supported_subset_are_refused(recurrence: Recurrence) -> None:
    with pytest.raises(InvalidInput):
        recurrence.check()


def _fields(**changes: object) -> EventFields:
    base: dict[str, object] = {
        "title": "Repair café",
        "start_local": datetime(2026, 5, 2, 14, 0),
        "end_local": datetime(2026, 5, 2, 17, 0),
        "timezone": "Europe/Paris",
    }
    return EventFields(**(base | changes))  # type: ignore[arg-type]


def test_span_is_stored_in_utc() -> None:
    start, end = utc_span(_fields())
    assert (start, end) == (
        datetime(2026, 5, 2, 12, 0, tzinfo=UTC),
        datetime(2026, 5, 2, 15, 0, tzinfo=UTC),
    )


def test_all_day_events_span_whole_local_days() -> None:
    start, end = utc_span(_fields(all_day=True, end_local=datetime(2026, 5, 3)))
    assert start.astimezone(PARIS) == datetime(2026, 5, 2, tzinfo=PARIS)
    assert end.astimezone(PARIS) == datetime(2026, 5, 4, tzinfo=PARIS)


def test_an_event_must_end_after_it_starts_and_within_two_weeks() -> None:
    with pytest.raises(InvalidInput, match="end after it starts"):
        utc_span(_fields(end_local=datetime(2026, 5, 2, 13, 0)))
    with pytest.raises(InvalidInput, match="14 days"):
        utc_span(_fields(end_local=datetime(2026, 6, 2, 13, 0)))
