"""What Python code tells people reads in their language (issue #21): every message of the
web handlers and services has a French, German and Spanish translation with the same
placeholders, and errors, repeat rules and plurals come out translated."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file

from server.errors import InvalidInput
from server.i18n import _, gettext, ngettext, pgettext, use_locale
from server.services.meetup_lists import rule_text
from server.services.names import check_name_syntax
from server.services.recurrence import Recurrence
from server.services.tally import outcome_headlines, outcome_sentences, outcome_word
from server.services.timezones import local_to_utc
from tests.web import WebClient

ROOT = Path(__file__).resolve().parents[2]
#: The files whose messages the "app" catalogs carry (the federated texts are elsewhere).
APP_FILES = [
    *sorted((ROOT / "server" / "web").glob("*.py")),
    *sorted(
        path
        for path in (ROOT / "server" / "services").glob("*.py")
        if path.name not in ("rsvp_notify.py", "notices.py", "rsvp_words.py")
    ),
    *(ROOT / "server" / name for name in ("app.py", "email.py", "passwords.py", "uploads.py")),
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


Message = tuple[str | None, str | tuple[str, ...]]


def app_messages() -> list[Message]:
    """Every message (context, text or singular/plural pair) the app's Python files give
    to gettext."""
    found: dict[Message, None] = {}
    for path in APP_FILES:
        for _line, message, _comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            found[(context, message)] = None
    return list(found)


def test_the_app_files_hold_hundreds_of_messages() -> None:
    assert len(app_messages()) > 400


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    missing, broken = [], []
    with use_locale(language):
        for context, message in app_messages():
            if isinstance(message, tuple):
                forms = [ngettext(message[0], message[1], n) for n in (1, 2, 1_000_000)]
                source, translated = message[1], forms
            elif context:
                source, translated = message, [pgettext(context, message)]
            else:
                source, translated = message, [gettext(message)]
            if any(text == source for text in translated) and not _same_in(language, source):
                missing.append(source)
            wanted = set(PLACEHOLDER.findall(source))
            if any(set(PLACEHOLDER.findall(text)) != wanted for text in translated):
                broken.append(source)
    assert missing == [] and broken == []


def _same_in(language: str, source: str) -> bool:
    """Messages that read the same in a language (a German "Online", a Markdown line)."""
    return not re.sub(r"%\(\w+\)s|[\W\d_]|min|Online|Roles", "", source)


def test_a_form_error_reads_in_the_active_language() -> None:
    for language, expected in (
        ("en", "Use between 2 and 30 characters."),
        ("fr", "Utilisez entre 2 et 30 caractères."),
        ("de", "Verwende 2 bis 30 Zeichen."),
        ("es", "Usa entre 2 y 30 caracteres."),
    ):
        with use_locale(language), pytest.raises(InvalidInput) as refused:
            check_name_syntax("x", field="username")
        assert refused.value.message == expected


def test_a_skipped_hour_is_explained_with_the_local_month_name() -> None:
    paris = ZoneInfo("Europe/Paris")
    with use_locale("fr"), pytest.raises(InvalidInput) as refused:
        local_to_utc(datetime(2030, 3, 31, 2, 30), paris)
    assert refused.value.message.startswith("02:30 n’existe pas le 31 mars 2030 dans le fuseau")
    with use_locale("de"), pytest.raises(InvalidInput) as refused:
        local_to_utc(datetime(2030, 3, 31, 2, 30), paris)
    assert refused.value.message.startswith("02:30 gibt es am 31. März 2030 in Europe/Paris nicht")
    with use_locale("en"), pytest.raises(InvalidInput) as refused:
        local_to_utc(datetime(2030, 3, 31, 2, 30), paris)
    assert "02:30 does not exist on 31 March 2030 in Europe/Paris" in refused.value.message


def test_repeat_rules_read_as_whole_sentences_in_each_language() -> None:
    weekly = Recurrence("weekly", by_day=("TU", "TH"))
    second = Recurrence("monthly", by_day=("2TU",))
    every_third_month = Recurrence("monthly", 3, by_day=("-1FR",))
    expected = {
        "en": (
            "Every Tuesday and Thursday",
            "Every 2nd Tuesday of the month",
            "Every last Friday, every 3 months",
        ),
        "fr": (
            "Chaque mardi et jeudi",
            "Le deuxième mardi de chaque mois",
            "Le dernier vendredi, tous les 3 mois",
        ),
        "de": (
            "Jeden Dienstag und Donnerstag",
            "Jeden zweiten Dienstag im Monat",
            "Jeden letzten Freitag, alle 3 Monate",
        ),
        "es": (
            "Cada martes y jueves",
            "El segundo martes de cada mes",
            "El último viernes, cada 3 meses",
        ),
    }
    for language, texts in expected.items():
        with use_locale(language):
            assert (rule_text(weekly), rule_text(second), rule_text(every_third_month)) == texts


def test_plurals_follow_each_language() -> None:
    message = ("%(count)s person checked in.", "%(count)s people checked in.")
    said = {}
    for language in ("en", "fr", "de", "es"):
        with use_locale(language):
            said[language] = [ngettext(*message, n) % {"count": n} for n in (0, 1, 2)]
    assert said["en"] == ["0 people checked in.", "1 person checked in.", "2 people checked in."]
    # French counts zero as singular; German and Spanish as plural.
    assert said["fr"][0] == "0 personne a enregistré sa présence."
    assert said["de"] == [
        "0 Personen haben eingecheckt.",
        "1 Person hat eingecheckt.",
        "2 Personen haben eingecheckt.",
    ]
    assert said["es"][1] == "1 persona registró su asistencia."


def test_outcomes_and_messages_follow_a_language_switch_mid_request() -> None:
    with use_locale("de"):
        assert outcome_word("passed") == "angenommen"
        with use_locale("es"):
            assert _("Meetup published.") == "Encuentro publicado."
        assert _("Meetup published.") == "Treffen veröffentlicht."
    assert outcome_word("passed") == "passed"


def test_a_proposal_outcome_is_a_whole_sentence_in_each_language() -> None:
    said = {}
    for language in ("en", "fr", "de", "es"):
        with use_locale(language):
            said[language] = (outcome_sentences()["rejected"], outcome_headlines()["blocked"])
    assert said == {
        "en": ("This proposal was rejected.", "Was blocked by an objection"),
        "fr": ("Cette proposition a été rejetée.", "Bloquée par une objection"),
        "de": ("Dieser Vorschlag wurde abgelehnt.", "Durch einen Einwand blockiert"),
        "es": ("Esta propuesta ha sido rechazada.", "Bloqueada por una objeción"),
    }


async def test_a_refused_sign_in_reads_in_the_browsers_language(web: WebClient) -> None:
    await web.make_user("ana")
    token = await web.csrf("/login")
    fields = {"login": "ana", "password": "not her password", "csrf_token": token}
    german = await web.client.post("/login", data=fields, headers={"Accept-Language": "de"})
    assert "Falscher Benutzername oder falsches Passwort." in html.unescape(german.text)
    english = await web.client.post("/login", data=fields, headers={"Accept-Language": "en"})
    assert "Wrong username or password." in html.unescape(english.text)


async def test_a_flash_message_follows_the_chosen_language(web: WebClient) -> None:
    await web.login_as_new("ana")
    chosen = await web.get("/language", params={"language": "fr", "next": "/"})
    assert chosen.status_code == 303
    created = await web.create_group("jardin", "Jardin partagé")
    assert created.status_code == 303
    page = await web.get(created.headers["location"])
    assert "Jardin partagé est prêt. Invitez vos voisins\u00a0!" in html.unescape(page.text)
