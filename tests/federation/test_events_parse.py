"""parse_event on the edges: location, coordinate, link, status and time forms; hostile input."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.events import (
    EventError,
    parse_event,
)
from federation.jsonld import JsonObject
from tests.federation.event_samples import (
    EVENT_ID,
    FIXTURES,
    GROUP,
    PARIS,
    activity,
    event,
)  # fmt: skip


def base_event(**fields: Any) -> JsonObject:
    return {"type": "Event", "id": EVENT_ID, "startTime": "2025-05-03T14:00:00+02:00", **fields}


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("12 Main St, Lyon", "12 Main St, Lyon"),
        ({"name": "Hall", "address": "Hall"}, "Hall"),
        ([{"type": "VirtualLocation", "url": "https://meet.example/x"}, "Park"], "Park"),
        (
            {"type": "Place", "address": {"addressLocality": "Lyon", "postalCode": "69001"}},
            "69001 Lyon",
        ),
        ({"type": "Place", "nameMap": {"fr": "Salle  des\nfêtes"}}, "Salle des fêtes"),
        ({"type": "Place"}, None),
        (17, None),
    ],
)
def test_location_forms(location: Any, expected: str | None) -> None:
    assert parse_event(base_event(location=location), GROUP).location_text == expected


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (45.7, 4.8, (45.7, 4.8)),
        ("45.7", "4.8", (45.7, 4.8)),
        (91, 4.8, (None, None)),
        (45.7, -181, (None, None)),
        ("nan", 4.8, (None, None)),
        (True, 4.8, (None, None)),
        (45.7, None, (None, None)),
    ],
)
def test_coordinates(latitude: Any, longitude: Any, expected: tuple[Any, Any]) -> None:
    place = {"type": "Place", "name": "Hall", "latitude": latitude, "longitude": longitude}
    parsed = parse_event(base_event(location=place), GROUP)
    assert (parsed.latitude, parsed.longitude) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"attachment": {"type": "Link", "href": "https://meet.example/a", "name": "Notes"}}, None),
        (
            {
                "isOnline": True,
                "attachment": {"type": "Link", "href": "https://meet.example/a", "name": "Notes"},
            },
            "https://meet.example/a",
        ),
        (
            {"attachment": [{"type": "Link", "href": "javascript:alert(1)", "name": "Website"}]},
            None,
        ),
        (
            {"location": {"type": "Place", "address": {"url": "https://meet.example/b"}}},
            "https://meet.example/b",
        ),
    ],
    ids=["other-link", "is-online", "not-http", "virtual-address"],
)
def test_online_url_forms(fields: JsonObject, expected: str | None) -> None:
    assert parse_event(base_event(**fields), GROUP).online_url == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "CONFIRMED"),
        ({"ical:status": "TENTATIVE"}, "TENTATIVE"),
        ({"status": "cancelled"}, "CANCELLED"),
        ({"status": "CANCELED"}, "CANCELLED"),
        ({"status": None, "ical:status": "CANCELLED"}, "CANCELLED"),
        ({"status": "POSTPONED"}, "CONFIRMED"),
    ],
)
def test_status_forms(fields: JsonObject, expected: str) -> None:
    assert parse_event(base_event(**fields), GROUP).status == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://town.example/e/7",
        {"type": "Link", "href": "https://town.example/e/7", "mediaType": "text/html"},
        ["ftp://town.example/e/7", {"href": "https://town.example/e/7"}],
    ],
)
def test_url_forms(url: Any) -> None:
    assert parse_event(base_event(url=url), GROUP).url == "https://town.example/e/7"


def test_times_with_nanoseconds_and_without_offset() -> None:
    parsed = parse_event(
        base_event(
            startTime="2025-05-03T12:00:00.123456789Z",
            endTime="2025-05-03T17:00:00",
            timezone="Europe/Paris",
        ),
        GROUP,
    )
    assert parsed.start == datetime(2025, 5, 3, 12, 0, 0, 123456, tzinfo=UTC)
    assert parsed.end == datetime(2025, 5, 3, 17, tzinfo=PARIS)


def test_an_invalid_zone_name_is_dropped() -> None:
    assert parse_event(base_event(timezone="Europe"), GROUP).timezone is None


# Trust and hostile input


@pytest.mark.parametrize(
    "actor",
    [
        "https://evil.example/users/mallory",
        "http://town.example/groups/club",
        "https://town.example:8443/groups/club",
        "https://sub.town.example/groups/club",
        "not a url",
    ],
)
def test_an_event_from_another_origin_is_refused(actor: str) -> None:
    with pytest.raises(EventError, match=r"origin|URL"):
        parse_event(event(), actor)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        "https://town.example/events/7",
        {"type": "Note", "id": EVENT_ID, "startTime": "2025-05-03T14:00:00Z"},
        base_event(id=None),
        base_event(id="http://[::1"),
        base_event(id="javascript:alert(1)"),
    ],
)
def test_what_is_not_an_event_is_refused(obj: Any) -> None:
    with pytest.raises(EventError):
        parse_event(obj, GROUP)


@pytest.mark.parametrize(
    "fields",
    [
        {"startTime": None},
        {"startTime": ""},
        {"startTime": 1746273600},
        {"startTime": "tomorrow at noon"},
        {"startTime": "2025-13-01T00:00:00Z"},
        {"startTime": "2025-05-03T25:00:00Z"},
        {"startTime": "2025-05-03T14:00:00+25:00"},
        {"startTime": "2025-05-03T14:00:00Z" + " " * 100},
        {"startTime": ["2025-05-03T14:00:00Z"]},
        {"startTime": "0001-01-01T00:00:00+01:00"},
        {"startTime": "9999-12-31T23:59:00Z"},  # every page would overflow adding to it
        {"startTime": "1899-12-31T12:00:00Z"},
        {"endTime": "9999-12-31T23:59:00Z"},
        {"endTime": "2025-05-03"[:7]},
        {"endTime": {"@value": "2025-05-03T17:00:00Z"}},
        {"endTime": "2025-05-03T13:00:00+02:00"},
    ],
)
def test_malformed_or_inconsistent_times_are_refused(fields: JsonObject) -> None:
    obj = base_event()
    obj.update(fields)
    with pytest.raises(EventError):
        parse_event(obj, GROUP)


def test_huge_values_are_clipped() -> None:
    obj = base_event(
        name="x" * 10_000,
        tag=[{"type": "Hashtag", "name": f"#t{number}"} for number in range(1_000)],
        location={"type": "Place", "name": "y" * 10_000},
        attachment=[{"type": "Link", "href": "https://a.example/"}] * 100_000,
        maximumAttendeeCapacity=10**30,
        participantCount=-5,
    )
    parsed = parse_event(obj, GROUP)
    assert len(parsed.name) == 300
    assert parsed.tags == tuple(f"t{number}" for number in range(50))
    assert parsed.location_text is not None and len(parsed.location_text) == 500
    assert (parsed.capacity, parsed.participant_count) == (None, 0)


def test_the_object_is_not_modified() -> None:
    obj, actor = activity("mobilizon_event.json")
    before = copy.deepcopy(obj)
    parse_event(obj, actor)
    assert obj == before


def _keys_and_strings(value: Any) -> tuple[set[str], set[str]]:
    """Every key and every string value in a JSON document."""
    if isinstance(value, dict):
        parts = [_keys_and_strings(item) for item in value.values()]
        return set(value).union(*(keys for keys, _ in parts)), set().union(*(s for _, s in parts))
    if isinstance(value, list):
        parts = [_keys_and_strings(item) for item in value]
        return set().union(*(keys for keys, _ in parts)), set().union(*(s for _, s in parts))
    return set(), {value} if isinstance(value, str) else set()


#: What peers really send: the keys and strings of the fixtures, and a few traps.
SEEN_KEYS, SEEN_STRINGS = _keys_and_strings(
    [json.loads(path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.json"))]
)
TRAPS = ["http://[::1", "9999-12-31T23:59:59-14:00", "Europe", "VirtualLocation", "nan", EVENT_ID]
JSON_KEYS = st.sampled_from(sorted(SEEN_KEYS)) | st.text(max_size=8)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(sorted(SEEN_STRINGS) + TRAPS)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(JSON_KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


@given(JSON_VALUES)
def test_arbitrary_json_raises_nothing_but_event_error(value: Any) -> None:
    with contextlib.suppress(EventError):
        parse_event(value, GROUP)


@given(st.dictionaries(JSON_KEYS, JSON_VALUES, max_size=12))
def test_any_fields_beside_a_valid_start_give_a_bounded_event(fields: JsonObject) -> None:
    for key in ("id", "type", "startTime", "endTime"):
        fields.pop(key, None)
    parsed = parse_event(base_event(**fields), GROUP)
    assert len(parsed.name) <= 300 and len(parsed.tags) <= 50
    assert parsed.latitude is None or -90 <= parsed.latitude <= 90
    assert parsed.status in {"CONFIRMED", "TENTATIVE", "CANCELLED"}
    for url in (parsed.url, parsed.online_url, parsed.image_url, parsed.attributed_to):
        assert url is None or url.startswith(("http://", "https://"))
