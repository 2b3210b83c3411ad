"""The parts of our Event shaped for Gancio, Mobilizon and Friendica (issue #22), unit by unit;
``tests/flows/test_event_peers.py`` reads whole documents with each peer's reader."""

from __future__ import annotations

from federation.events import Place, parse_event
from tests.federation.event_samples import EVENT_ID, GROUP, event

LINK = "https://meet.example/repair"
PICTURE = "https://town.example/media/group-banner.webp"


def test_the_organizer_is_the_actor_only_when_not_the_group() -> None:
    assert (
        event(actor="https://town.example/users/ana")["actor"] == "https://town.example/users/ana"
    )
    assert "actor" not in event(actor=GROUP)
    assert "actor" not in event()


def test_a_short_title_gets_its_day_in_the_events_zone_and_language() -> None:
    assert event(name="Go")["name"] == "Go · Sat 3 May"
    assert event(name=" Yo ", locale="fr")["name"] == "Yo · sam. 3 mai"
    assert event(name="Tea")["name"] == "Tea"


def test_a_place_is_named_with_its_street_and_town_said_once() -> None:
    place = Place(name="Lyon", street="12 Main St", postal_code="69001", locality="Lyon")
    assert event(location=place)["location"]["name"] == "12 Main St, 69001 Lyon"
    only_a_name = event(location=Place(name="Café Lumière"))["location"]
    assert only_a_name["address"] == {"type": "PostalAddress", "streetAddress": "Café Lumière"}


def test_an_online_meetup_is_one_place_with_the_link_as_its_address_url() -> None:
    document = event(location=None, online_url=LINK, image_url=None, fallback_image_url=PICTURE)
    assert document["location"] == {
        "type": "Place",
        "name": "Online",
        "address": {"type": "PostalAddress", "streetAddress": "", "url": LINK},
    }
    [picture, link] = document["attachment"]
    assert (picture["type"], picture["url"], picture["mediaType"]) == (
        "Document",
        PICTURE,
        "image/webp",
    )
    assert (link["type"], link["name"], link["href"]) == ("Link", "Website", LINK)
    assert "image" not in document  # the stand-in is no cover
    parsed = parse_event(document, GROUP)
    assert (parsed.id, parsed.online_url, parsed.location_text) == (EVENT_ID, LINK, None)


def test_a_meetup_without_place_or_link_says_the_place_is_to_be_announced() -> None:
    document = event(location=None, online_url=None, image_url=None, fallback_image_url=PICTURE)
    assert document["attachment"] == []  # no stand-in picture without a link
    tba = {"type": "PostalAddress", "streetAddress": "Lieu à préciser"}
    assert event(location=None, online_url=None, locale="fr")["location"] == {
        "type": "Place",
        "name": "Lieu à préciser",
        "address": tba,
    }
    assert parse_event(document, GROUP).location_text == "Place to be announced"


def test_the_summary_term_is_not_as_summary_in_the_events_context() -> None:
    terms = event()["@context"][2]
    assert terms["summary"] == "sc:disambiguatingDescription"
    assert terms["sc"] == "http://schema.org#"
