"""Dates and times written for the reader's language, in the meetup's own zone (Babel)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from server.i18n import use_locale
from server.i18n_format import format_list, format_number
from server.services.timezones import event_when
from tests.events.conftest import Organizer
from tests.web import WebClient

# 3 May 2025, 14:00–17:00 in Paris (12:00–15:00 UTC).
SATURDAY = SimpleNamespace(
    timezone="Europe/Paris",
    starts_at=datetime(2025, 5, 3, 12, tzinfo=UTC),
    ends_at=datetime(2025, 5, 3, 15, tzinfo=UTC),
    all_day=False,
)
WEEKEND = SimpleNamespace(
    timezone="Europe/Paris",
    starts_at=datetime(2025, 5, 2, 22, tzinfo=UTC),
    ends_at=datetime(2025, 5, 4, 22, tzinfo=UTC),
    all_day=True,
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sat 3 May 2025, 14:00–17:00"),
        ("fr", "sam. 3 mai 2025, 14:00–17:00"),
        ("de", "Sa., 3. Mai 2025, 14:00–17:00"),
        ("es", "sáb, 3 may 2025, 14:00–17:00"),
    ],
)
def test_a_meetup_time_in_each_language(language: str, expected: str) -> None:
    with use_locale(language):
        assert event_when(SATURDAY, "Europe/Paris") == expected
        assert event_when(SATURDAY) == f"{expected} (Europe/Paris)"


def test_all_day_spans_in_each_language() -> None:
    spans = {}
    for language in ("en", "fr", "de"):
        with use_locale(language):
            spans[language] = event_when(WEEKEND)
    assert spans == {
        "en": "Sat 3 May – Sun 4 May 2025 (all day)",
        "fr": "sam. 3 mai – dim. 4 mai 2025 (toute la journée)",
        "de": "Sa., 3. Mai – So., 4. Mai 2025 (ganztägig)",
    }


def test_numbers_and_lists_by_language() -> None:
    with use_locale("de"):
        assert format_number(1234.5) == "1.234,5"
        assert format_list(["Anna", "Ben", "Cleo"]) == "Anna, Ben und Cleo"
    with use_locale("fr"):
        assert format_list(["Anna", "Ben"]) == "Anna et Ben"
    with use_locale("en"):
        assert format_number(1234.5) == "1,234.5"


async def test_a_meetup_page_in_french_and_german(organizer: Organizer, web: WebClient) -> None:
    event_id = await organizer.create_event_id()
    pages = {
        language: (await web.get(f"/events/{event_id}", headers={"Accept-Language": language}))
        for language in ("fr", "de", "en")
    }
    assert "sam. 4 mai 2030, 14:00–17:00 (Europe/Paris)" in pages["fr"].text
    assert "Sa., 4. Mai 2030, 14:00–17:00 (Europe/Paris)" in pages["de"].text
    assert "Sat 4 May 2030, 14:00–17:00 (Europe/Paris)" in pages["en"].text
