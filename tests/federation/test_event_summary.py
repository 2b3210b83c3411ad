"""``event_summary``: the one line Mastodon shows for an Event (name, summary, link)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from federation.events import event_summary

PARIS = "Europe/Paris"


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(PARIS))


@pytest.mark.parametrize(
    ("start", "end", "all_day", "place", "online", "expected"),
    [
        pytest.param(
            paris(2025, 5, 3, 14),
            paris(2025, 5, 3, 17),
            False,
            ("Community hall", "Lyon"),
            False,
            "Sat 3 May 2025, 14:00–17:00 (Europe/Paris) · Community hall, Lyon",
            id="same-day",
        ),
        pytest.param(
            paris(2025, 5, 3, 14),
            None,
            False,
            ("Community hall", None),
            False,
            "Sat 3 May 2025, 14:00 (Europe/Paris) · Community hall",
            id="no-end",
        ),
        pytest.param(
            paris(2025, 5, 3),
            paris(2025, 5, 4),
            True,
            ("Community hall", "Lyon"),
            False,
            "Sat 3 May 2025 (all day) · Community hall, Lyon",
            id="all-day-exclusive-end",
        ),
        pytest.param(
            paris(2025, 5, 3),
            paris(2025, 5, 3, 23, 59),
            True,
            (None, None),
            False,
            "Sat 3 May 2025 (all day)",
            id="all-day-inclusive-end",
        ),
        pytest.param(
            paris(2025, 5, 3),
            paris(2025, 5, 5),
            True,
            (None, "Lyon"),
            False,
            "Sat 3 May – Sun 4 May 2025 (all day) · Lyon",
            id="all-day-two-days",
        ),
        pytest.param(
            paris(2025, 12, 31),
            paris(2026, 1, 2),
            True,
            (None, None),
            False,
            "Wed 31 Dec 2025 – Thu 1 Jan 2026 (all day)",
            id="all-day-new-year",
        ),
        pytest.param(
            paris(2025, 5, 3, 14),
            paris(2025, 5, 4, 12),
            False,
            (None, None),
            False,
            "Sat 3 May 14:00 – Sun 4 May 12:00 (Europe/Paris)",
            id="multi-day",
        ),
        pytest.param(
            paris(2025, 12, 31, 20),
            paris(2026, 1, 1, 2),
            False,
            ("Salle des fêtes", None),
            False,
            "Wed 31 Dec 2025 20:00 – Thu 1 Jan 2026 02:00 (Europe/Paris) · Salle des fêtes",
            id="multi-day-new-year",
        ),
        pytest.param(
            paris(2025, 5, 3, 14),
            paris(2025, 5, 3, 15),
            False,
            (None, None),
            True,
            "Sat 3 May 2025, 14:00–15:00 (Europe/Paris) · Online",
            id="online",
        ),
        pytest.param(
            paris(2025, 5, 3, 14),
            paris(2025, 5, 3, 15),
            False,
            ("Community hall", "Lyon"),
            True,
            "Sat 3 May 2025, 14:00–15:00 (Europe/Paris) · Community hall, Lyon · Online",
            id="hybrid",
        ),
        pytest.param(
            datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
            datetime(2025, 3, 30, 2, 30, tzinfo=UTC),
            False,
            (None, None),
            False,
            "Sun 30 Mar 2025, 01:30–04:30 (Europe/Paris)",
            id="dst-spring-forward",
        ),
        pytest.param(
            datetime(2025, 5, 3, 12, tzinfo=UTC),
            datetime(2025, 5, 3, 15, tzinfo=UTC),
            False,
            ("Lyon", "lyon"),
            False,
            "Sat 3 May 2025, 14:00–17:00 (Europe/Paris) · Lyon",
            id="utc-input-and-repeated-place",
        ),
    ],
)
def test_summary_lines(
    start: datetime,
    end: datetime | None,
    all_day: bool,
    place: tuple[str | None, str | None],
    online: bool,
    expected: str,
) -> None:
    assert event_summary(start, end, PARIS, all_day, *place, online) == expected


def test_each_instant_gets_the_offset_in_force_then() -> None:
    # 00:30 EDT, then two hours later it is 01:30 EST (clocks fell back in between).
    start = datetime(2025, 11, 2, 4, 30, tzinfo=UTC)
    end = datetime(2025, 11, 2, 6, 30, tzinfo=UTC)
    line = event_summary(start, end, "America/New_York", False, None, None, False)
    assert line == "Sun 2 Nov 2025, 00:30–01:30 (America/New_York)"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "sam. 3 mai 2025, 14:00–17:00 (Europe/Paris) · Salle, Lyon · En ligne"),
        ("fr-CA", "sam. 3 mai 2025, 14:00–17:00 (Europe/Paris) · Salle, Lyon · En ligne"),
        ("de_AT", "Sa. 3. Mai 2025, 14:00–17:00 (Europe/Paris) · Salle, Lyon · Online"),
        ("xx", "Sat 3 May 2025, 14:00–17:00 (Europe/Paris) · Salle, Lyon · Online"),
    ],
)
def test_locales(locale: str, expected: str) -> None:
    start, end = paris(2025, 5, 3, 14), paris(2025, 5, 3, 17)
    assert event_summary(start, end, PARIS, False, "Salle", "Lyon", True, locale) == expected


def test_all_day_words_are_localised() -> None:
    line = event_summary(paris(2025, 5, 3), paris(2025, 5, 4), PARIS, True, None, None, False, "fr")
    assert line == "sam. 3 mai 2025 (toute la journée)"


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "Europe", "", "../etc/passwd", "Europe/Paris\x00"]
)
def test_unknown_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        event_summary(paris(2025, 5, 3, 14), None, zone, False, None, None, False)


def test_naive_times_are_utc() -> None:
    line = event_summary(datetime(2025, 5, 3, 12), None, PARIS, False, None, None, False)
    assert line == "Sat 3 May 2025, 14:00 (Europe/Paris)"
