"""Events: our documents, the shapes Mobilizon, Gancio and Friendica send, and hostile input.

Fixture provenance is in ``fixtures/README.md``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.events import (
    EventError,
    EventFields,
    Place,
    RemoteEvent,
    build_event,
    parse_event,
)
from federation.jsonld import AS_CONTEXT, AS_PUBLIC, SECURITY_CONTEXT, JsonObject

FIXTURES = Path(__file__).parent / "fixtures"
PARIS = ZoneInfo("Europe/Paris")
GROUP = "https://town.example/groups/club"
EVENT_ID = "https://town.example/events/7"

FIELDS = EventFields(
    id=EVENT_ID,
    url="https://town.example/e/7",
    name="Repair café",
    content_html="<p>Bring what is broken.</p>",
    attributed_to=GROUP,
    start=datetime(2025, 5, 3, 14, tzinfo=PARIS),
    end=datetime(2025, 5, 3, 17, tzinfo=PARIS),
    timezone="Europe/Paris",
    all_day=False,
    location=Place(
        name="Community hall",
        street="12 Main St",
        postal_code="69001",
        locality="Lyon",
        region=None,
        country="France",
        latitude=45.7,
        longitude=4.8,
    ),
    online_url="https://meet.example/repair",
    join_mode="restricted",
    capacity=20,
    participant_count=13,
    status="CONFIRMED",
    comments_enabled=True,
    tags=["repair", "#bikes", "repair"],
    tag_url_prefix="https://town.example/tags/",
    image_url="https://town.example/media/cover.jpg",
    image_alt="Tools on a table",
    published=datetime(2025, 4, 1, 10, tzinfo=UTC),
    updated=datetime(2025, 4, 2, 8, 30, tzinfo=UTC),
    to=[AS_PUBLIC],
    cc=[f"{GROUP}/followers"],
    category="MEETING",
)


def event(**changes: Any) -> JsonObject:
    return build_event(dataclasses.replace(FIELDS, **changes))


def activity(name: str) -> tuple[JsonObject, str]:
    """A fixture's Event object and the actor that sent it."""
    document = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return document["object"], document["actor"]


# Building


def test_document_has_the_shape_protocol_md_shows() -> None:
    document = event()
    assert document["@context"][:2] == [AS_CONTEXT, SECURITY_CONTEXT]
    assert {key: document[key] for key in ("type", "id", "url", "name", "attributedTo")} == {
        "type": "Event",
        "id": EVENT_ID,
        "url": "https://town.example/e/7",
        "name": "Repair café",
        "attributedTo": GROUP,
    }
    assert document["content"] == "<p>Bring what is broken.</p>"
    assert document["mediaType"] == "text/html"
    assert document["summary"] == (
        "Sat 3 May 2025, 14:00–17:00 (Europe/Paris) · Community hall, Lyon · Online"
    )
    assert (document["startTime"], document["endTime"]) == (
        "2025-05-03T14:00:00+02:00",
        "2025-05-03T17:00:00+02:00",
    )
    assert document["timezone"] == "Europe/Paris"
    assert document["joinMode"] == "restricted"
    assert (document["maximumAttendeeCapacity"], document["remainingAttendeeCapacity"]) == (20, 7)
    assert document["participantCount"] == 13
    assert document["isOnline"] is True
    assert document["status"] == document["ical:status"] == "CONFIRMED"
    assert document["commentsEnabled"] is True
    assert document["repliesModerationOption"] == "allow_all"
    assert document["anonymousParticipationEnabled"] is False
    assert document["category"] == "MEETING"
    assert (document["published"], document["updated"]) == (
        "2025-04-01T10:00:00Z",
        "2025-04-02T08:30:00Z",
    )
    assert (document["to"], document["cc"]) == ([AS_PUBLIC], [f"{GROUP}/followers"])


def test_location_is_a_place_with_a_postal_address_and_coordinates() -> None:
    assert event()["location"] == {
        "type": "Place",
        "name": "Community hall",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "12 Main St",
            "postalCode": "69001",
            "addressLocality": "Lyon",
            "addressCountry": "France",
        },
        "latitude": 45.7,
        "longitude": 4.8,
    }


def test_online_link_is_named_as_mobilizon_expects_and_the_cover_is_attached() -> None:
    document = event()
    cover = {
        "mediaType": "image/jpeg",
        "url": "https://town.example/media/cover.jpg",
        "name": "Tools on a table",
    }
    assert document["attachment"] == [
        {
            "type": "Link",
            "name": "Website",
            "mediaType": "text/html",
            "href": "https://meet.example/repair",
        },
        {"type": "Document", **cover},
    ]
    assert document["image"] == {"type": "Image", **cover}


def test_hashtags_once_each_with_their_page() -> None:
    assert event()["tag"] == [
        {"type": "Hashtag", "name": "#repair", "href": "https://town.example/tags/repair"},
        {"type": "Hashtag", "name": "#bikes", "href": "https://town.example/tags/bikes"},
    ]
    assert event(tag_url_prefix=None, tags=["Repair"])["tag"] == [
        {"type": "Hashtag", "name": "#Repair"}
    ]


def test_context_defines_every_extension_term_inline() -> None:
    document = event()
    urls = [item for item in document["@context"] if isinstance(item, str)]
    terms = next(item for item in document["@context"] if isinstance(item, dict))
    assert urls == [AS_CONTEXT, SECURITY_CONTEXT]
    activitystreams = {"id", "type", "url", "name", "content", "mediaType", "summary", "image"}
    activitystreams |= {"attributedTo", "startTime", "endTime", "location", "attachment"}
    activitystreams |= {"tag", "published", "updated", "to", "cc", "latitude", "longitude"}
    activitystreams |= {"href", "Link", "Document", "Image", "Place", "Event"}

    def used(value: Any) -> set[str]:
        if isinstance(value, list):
            return set().union(*(used(item) for item in value))
        if not isinstance(value, dict):
            return set()
        keys = set(value) | ({value["type"]} if "type" in value else set())
        return keys.union(*(used(item) for item in value.values()))

    names = used({key: value for key, value in document.items() if key != "@context"})
    undefined = {name for name in names - activitystreams if ":" not in name}
    assert undefined <= set(terms)
    assert {"ical", "sc", "mz"} <= set(terms)


def test_each_time_carries_the_offset_in_force_at_that_instant() -> None:
    document = event(
        start=datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
        end=datetime(2025, 3, 30, 2, 30, tzinfo=UTC),
    )
    assert document["startTime"] == "2025-03-30T01:30:00+01:00"
    assert document["endTime"] == "2025-03-30T04:30:00+02:00"
    assert document["summary"].startswith("Sun 30 Mar 2025, 01:30–04:30 (Europe/Paris)")


def test_a_zone_without_offset_is_written_as_plus_zero_not_z() -> None:
    document = event(timezone="UTC", start=datetime(2025, 5, 3, 12, 0, 0, 999, tzinfo=UTC))
    assert document["startTime"] == "2025-05-03T12:00:00+00:00"


def test_optional_parts_are_left_out() -> None:
    document = event(
        end=None,
        location=None,
        online_url=None,
        capacity=None,
        image_url=None,
        category=None,
        updated=None,
        tags=[],
    )
    for key in ("endTime", "location", "maximumAttendeeCapacity", "remainingAttendeeCapacity"):
        assert key not in document
    for key in ("image", "category", "updated"):
        assert key not in document
    assert document["isOnline"] is False
    assert (document["attachment"], document["tag"]) == ([], [])
    assert document["summary"] == "Sat 3 May 2025, 14:00 (Europe/Paris)"


def test_a_full_event_has_no_negative_remaining_capacity() -> None:
    assert event(capacity=10, participant_count=13)["remainingAttendeeCapacity"] == 0


def test_updated_only_when_later_than_published() -> None:
    assert "updated" not in event(updated=FIELDS.published + timedelta(milliseconds=300))


def test_closed_comments_and_cancelled_status() -> None:
    document = event(comments_enabled=False, status="CANCELLED")
    assert (document["commentsEnabled"], document["repliesModerationOption"]) == (False, "closed")
    assert document["status"] == document["ical:status"] == "CANCELLED"


@pytest.mark.parametrize(
    "changes",
    [
        {"timezone": "Mars/Olympus"},
        {"status": "confirmed"},
        {"join_mode": "anyone"},
        {"end": datetime(2025, 5, 3, 13, tzinfo=PARIS)},
        {"participant_count": -1},
    ],
    ids=["zone", "status", "join-mode", "end-before-start", "negative-count"],
)
def test_inconsistent_fields_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        event(**changes)


def test_the_fields_the_server_passes_are_accepted() -> None:
    naive = FIELDS.start.astimezone(UTC).replace(tzinfo=None)
    place = Place(name=None, latitude=45.7, longitude=4.8)
    document = event(start=naive, end=None, location=place, image_url=None)
    assert document["startTime"] == "2025-05-03T14:00:00+02:00"
    assert document["location"] == {"type": "Place", "latitude": 45.7, "longitude": 4.8}


# Round trip


def test_round_trip() -> None:
    parsed = parse_event(event(), GROUP)
    assert parsed == RemoteEvent(
        id=EVENT_ID,
        name="Repair café",
        content_html="<p>Bring what is broken.</p>",
        summary="Sat 3 May 2025, 14:00–17:00 (Europe/Paris) · Community hall, Lyon · Online",
        url="https://town.example/e/7",
        start=FIELDS.start,
        end=FIELDS.end,
        timezone="Europe/Paris",
        location_text="Community hall, 12 Main St, 69001 Lyon, France",
        latitude=45.7,
        longitude=4.8,
        online_url="https://meet.example/repair",
        is_online=True,
        status="CONFIRMED",
        capacity=20,
        remaining_capacity=7,
        participant_count=13,
        join_mode="restricted",
        comments_enabled=True,
        image_url="https://town.example/media/cover.jpg",
        tags=("repair", "bikes"),
        attributed_to=GROUP,
        category="MEETING",
        published=FIELDS.published,
        updated=FIELDS.updated,
    )
    assert parsed.start.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("status", ["CONFIRMED", "TENTATIVE", "CANCELLED"])
@pytest.mark.parametrize("join_mode", ["free", "restricted", "invite", "external"])
def test_round_trip_of_status_and_join_mode(status: str, join_mode: str) -> None:
    parsed = parse_event(event(status=status, join_mode=join_mode), GROUP)
    assert (parsed.status, parsed.join_mode) == (status, join_mode)


def test_round_trip_of_an_all_day_event_in_another_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    start, end = datetime(2025, 5, 3, tzinfo=tokyo), datetime(2025, 5, 4, tzinfo=tokyo)
    document = event(timezone="Asia/Tokyo", all_day=True, start=start, end=end, online_url=None)
    assert document["startTime"] == "2025-05-03T00:00:00+09:00"
    parsed = parse_event(document, GROUP)
    assert (parsed.start, parsed.end, parsed.timezone) == (start, end, "Asia/Tokyo")
    assert parsed.summary == "Sat 3 May 2025 (all day) · Community hall, Lyon"


# What peers send


def test_mobilizon_event() -> None:
    obj, actor = activity("mobilizon_event.json")
    parsed = parse_event(obj, actor)
    uri = "https://mobilizon.fr/events/39a0c4a6-f2b6-41dc-bbe2-fc5bff76cc93"
    assert (parsed.id, parsed.url, parsed.name) == (uri, uri, "Café réparation")
    assert parsed.start == datetime(2025, 5, 3, 14, tzinfo=PARIS)
    assert parsed.end == datetime(2025, 5, 3, 17, tzinfo=PARIS)
    assert parsed.timezone == "Europe/Paris"
    assert parsed.location_text == (
        "Locaux de Framasoft, 10 Rue Jangot, 69007 Lyon, Auvergne Rhône Alpes, France"
    )
    assert (parsed.latitude, parsed.longitude) == (45.7517141, 4.8425657)
    assert parsed.online_url == "https://visio.framasoft.org/cafe-reparation"
    assert parsed.is_online is False
    assert (parsed.capacity, parsed.remaining_capacity, parsed.participant_count) == (20, 7, 13)
    assert (parsed.status, parsed.join_mode, parsed.comments_enabled) == (
        "CONFIRMED",
        "restricted",
        True,
    )
    assert parsed.image_url == "https://mobilizon.fr/media/3a1c0c4f.jpg"
    assert parsed.tags == ("reparation", "velo")
    assert parsed.attributed_to == "https://mobilizon.fr/@metacartes"
    assert parsed.category == "MEETING"
    assert parsed.updated == datetime(2025, 4, 2, 8, 30, tzinfo=UTC)


def test_gancio_event_as_captured_from_demo_gancio_org() -> None:
    obj, actor = activity("gancio_event.json")
    parsed = parse_event(obj, actor)
    assert parsed.id == "https://demo.gancio.org/federation/m/1"
    assert (parsed.name, parsed.url) == ("Demo event", "https://demo.gancio.org/event/demo-event")
    offset = timezone(timedelta(hours=2))
    assert parsed.start == datetime(2021, 7, 14, 17, 30, 57, tzinfo=offset)
    assert parsed.end == datetime(2021, 7, 14, 18, 30, 57, tzinfo=offset)
    assert parsed.timezone is None
    assert (parsed.location_text, parsed.latitude, parsed.online_url) == ("Colosseo", None, None)
    assert parsed.tags == ("test",)
    assert parsed.summary is not None and parsed.summary.startswith("📍 Colosseo")
    assert parsed.attributed_to == actor


def test_gancio_place_with_a_plain_string_address_and_a_virtual_location() -> None:
    obj, actor = activity("gancio_event_place.json")
    parsed = parse_event(obj, actor)
    assert parsed.start == datetime(2025, 5, 3, 21, tzinfo=PARIS)
    assert parsed.location_text == "Fediverse TV, C/ Falsa 123"
    assert (parsed.latitude, parsed.longitude) == (40.4168, -3.7038)
    assert parsed.online_url == "https://stream.gancio.example/picture-show"
    assert parsed.is_online is False
    assert parsed.image_url == ("https://gancio.example/media/36755574a6e48a1ccd3351d35e1a371f.jpg")
    assert parsed.tags == ("Cinema",)
    assert parsed.content_html == "<p>Open-air <strong>screening</strong>.</p>"


def test_friendica_event_in_utc_with_string_coordinates_and_no_end() -> None:
    obj, actor = activity("friendica_event.json")
    parsed = parse_event(obj, actor)
    assert parsed.name == "Nachbarschaftsfest"
    assert parsed.start == datetime(2025, 6, 14, 13, tzinfo=UTC)
    assert (parsed.end, parsed.timezone, parsed.summary) == (None, None, None)
    assert parsed.location_text == "Gemeindesaal, Hauptstraße 5, Graz"
    assert (parsed.latitude, parsed.longitude) == (47.0707, 15.4395)
    assert parsed.url == "https://friendica.example/display/6a2b8c10-1767-8d3f-5c3e-2a1000000001"


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
