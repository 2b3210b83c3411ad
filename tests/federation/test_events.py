"""Events: our documents, the shapes Mobilizon, Gancio and Friendica send, and hostile input.

Fixture provenance is in ``fixtures/README.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from federation.events import (
    Place,
    RemoteEvent,
    parse_event,
)
from federation.jsonld import AS_CONTEXT, AS_PUBLIC, SECURITY_CONTEXT
from tests.federation.event_samples import (
    EVENT_ID,
    FIELDS,
    GROUP,
    PARIS,
    activity,
    event,
)  # fmt: skip

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
        "name": "Community hall, 12 Main St, 69001 Lyon",
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


def test_online_link_is_named_as_mobilizon_expects_after_the_cover() -> None:
    document = event()
    cover = {
        "mediaType": "image/jpeg",
        "url": "https://town.example/media/cover.jpg",
        "name": "Tools on a table",
    }
    assert document["attachment"] == [
        {"type": "Document", **cover},  # first: Gancio's Update takes attachment[0].url
        {
            "type": "Link",
            "name": "Website",
            "mediaType": "text/html",
            "href": "https://meet.example/repair",
        },
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
    for key in ("endTime", "maximumAttendeeCapacity", "remainingAttendeeCapacity"):
        assert key not in document
    assert document["location"]["name"] == "Place to be announced"  # see test_event_shape
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
