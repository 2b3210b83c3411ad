"""A group writes in its language: the Event and RSVP poll Hearth federates for its meetups
are in it and carry Mastodon's language maps (``contentMap``/``nameMap``, as
mastodon/mastodon app/serializers/activitypub/note_serializer.rb sends ``contentMap``);
votes and keyword replies are understood in any language Hearth speaks."""

from __future__ import annotations

import re

import pytest

from server.activitypub.event_poll import answer_for, option_names
from server.i18n import SUPPORTED_LANGUAGES, gettext, use_locale
from server.services.post_shape import content_of
from server.services.rsvp_words import CHANGE_HINT, answer_in
from tests.events.conftest import FORM
from tests.web import WebClient

AP = {"Accept": "application/activity+json"}


async def _meetup_in(web: WebClient, language: str) -> int:
    await web.login_as_new("organizer")
    created = await web.create_group("club", "Chess Club", language=language)
    assert created.status_code == 303, created.text
    response = await web.post_form(
        "/groups/club/events/new", FORM, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_a_french_groups_event_and_poll_are_written_and_tagged_in_french(
    web: WebClient,
) -> None:
    event_id = await _meetup_in(web, "fr")
    event = (await web.get(f"/events/{event_id}", headers=AP)).json()
    assert event["summary"] == (
        "sam. 4 mai 2030, 14:00–17:00 (Europe/Paris) · Community hall, Lyon"
    )
    assert event["contentMap"] == {"fr": event["content"]}
    assert event["nameMap"] == {"fr": event["name"]}
    assert "summaryMap" not in event  # an Event's summary is not as:summary (see language.py)

    poll = (await web.get(f"/events/{event_id}/poll", headers=AP)).json()
    assert poll["contentMap"] == {"fr": poll["content"]}
    assert poll["content"].startswith("<p>Vous venez à <a href=")
    assert "Pour changer votre réponse, répondez" in poll["content"]
    assert [option["name"] for option in poll["oneOf"]] == [
        "J’y vais",
        "Peut-être",
        "Je ne peux pas",
    ]
    assert [option["nameMap"] for option in poll["oneOf"]] == [
        {"fr": "J’y vais"},
        {"fr": "Peut-être"},
        {"fr": "Je ne peux pas"},
    ]


async def test_a_group_without_a_language_writes_in_the_instances(web: WebClient) -> None:
    event_id = await _meetup_in(web, "")
    event = (await web.get(f"/events/{event_id}", headers=AP)).json()
    assert event["summary"].startswith("Sat 4 May 2030, 14:00–17:00 (Europe/Paris)")
    assert event["contentMap"] == {"en": event["content"]}
    poll = (await web.get(f"/events/{event_id}/poll", headers=AP)).json()
    assert [option["name"] for option in poll["oneOf"]] == ["Going", "Maybe", "Can't make it"]
    assert poll["contentMap"] == {"en": poll["content"]}


async def test_the_group_language_is_a_form_and_api_field(web: WebClient) -> None:
    await _meetup_in(web, "de")
    form = await web.get("/groups/club/edit")
    assert 'name="language" value="de" checked' in form.text
    refused = await web.post_form(
        "/groups/club/edit",
        {"name": "Chess Club", "language": "not a language"},
        csrf_from="/groups/club/edit",
    )
    assert refused.status_code == 400
    api = await web.get("/api/v1/groups/club")
    assert api.json()["language"] == "de"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_votes_match_the_options_in_the_language_the_poll_was_sent_in(language: str) -> None:
    with use_locale(language):
        sent = option_names()
    assert sorted(sent.values()) == ["going", "maybe", "not_going"]
    for name, answer in sent.items():
        assert answer_for(name, language) == answer
        assert answer_for(f"  {name.upper()} ", language) == answer
        assert answer_for(name) == answer  # a poll sent before the group changed language
    assert answer_for("Sometimes", language) is None


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_keywords_each_language_suggests_are_understood(language: str) -> None:
    """The hint sent with every RSVP message names three replies in the group's language;
    each is read as the answer it stands for."""
    with use_locale(language):
        hint = str(CHANGE_HINT)
    quoted = re.findall(r"[“„«]\s*([^”“»]+?)\s*[”“»]", hint)
    assert [answer_in(word) for word in quoted] == ["going", "maybe", "not_going"], hint


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("@club going!", "going"),
        ("Je viens", "going"),
        ("ich komme", "going"),
        ("Voy", "going"),
        ("peut-être", "maybe"),
        ("Vielleicht.", "maybe"),
        ("quizá", "maybe"),
        ("je ne viens pas", "not_going"),
        ("Kann nicht", "not_going"),
        ("no puedo ir", "not_going"),
    ],
)
def test_keyword_replies_in_any_language(reply: str, answer: str) -> None:
    assert answer_in(reply) == answer


def test_federated_catalogs_translate_the_poll() -> None:
    with use_locale("de"):
        assert gettext("Online") == "Online"
        assert list(option_names()) == ["Ich komme", "Vielleicht", "Kann nicht"]
    with use_locale("es"):
        assert list(option_names()) == ["Voy", "Quizá", "No puedo ir"]


def test_incoming_content_map_gives_the_readers_language() -> None:
    """A post written in several languages (``content`` is its default one) is read in the
    reader's language when its ``contentMap`` has it, else as sent."""
    note = {
        "type": "Note",
        "content": "<p>Seed swap on Saturday</p>",
        "contentMap": {"en": "<p>Seed swap on Saturday</p>", "fr-FR": "<p>Troc de graines</p>"},
    }
    assert content_of(note, ["fr", "en"]) == "<p>Troc de graines</p>"
    assert content_of(note, ["de", "en"]) == "<p>Seed swap on Saturday</p>"
    assert content_of(note, ["de"]) == "<p>Seed swap on Saturday</p>"
    assert content_of({"contentMap": {"es": "<p>Hola</p>"}}, ["de"]) == "<p>Hola</p>"


async def test_flyers_and_calendars_are_in_the_groups_language(web: WebClient) -> None:
    """Printed for the neighborhood and subscribed to by it: in the group's language,
    whoever asks."""
    await web.login_as_new("organizer")
    created = await web.create_group("club", "Chess Club", language="fr")
    assert created.status_code == 303
    online = {**FORM, "online_url": "https://meet.example/x"}
    response = await web.post_form(
        "/groups/club/events/new", online, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    event_path = response.headers["location"]
    english = {"Accept-Language": "en"}
    for path in ("/groups/club/flyer", f"{event_path}/flyer"):
        flyer = await web.get(path, headers=english)
        assert '<html lang="fr"' in flyer.text, path
        assert "4 mai 2030" in flyer.text, path
    ics = (await web.get(f"{event_path}.ics", headers=english)).text.replace("\r\n ", "")
    assert re.search(r"En ligne\s:\shttps://meet\.example/x", ics)  # a no-break space
    calendar = (await web.get("/groups/club/events.ics", headers=english)).text
    assert re.search(r"En ligne\s:\shttps://meet\.example/x", calendar.replace("\r\n ", ""))
