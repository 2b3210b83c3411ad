"""The catalog completeness check CI runs: every message of the source (extracted with the
same mapping as ``babel.cfg``) has a non-fuzzy French, German and Spanish translation, with
every plural form filled and the English placeholders."""

from __future__ import annotations

from server.i18n_catalogs import load_translations
from server.i18n_tools import REQUIRED_LANGUAGES, extract_catalog, find_gaps


def test_extraction_finds_templates_and_python() -> None:
    ids = {message.id for message in extract_catalog()}
    assert "Language" in ids  # server/templates/_language_switcher.html
    assert "Online" in ids  # server/services/rsvp_notify.py
    assert (
        "When the one seat is taken, Going puts you on the waitlist.",
        "When all %(num)d seats are taken, Going puts you on the waitlist.",
    ) in ids


def test_every_message_is_translated() -> None:
    source = extract_catalog()
    gaps = find_gaps(source, REQUIRED_LANGUAGES)
    shown = "\n".join(str(gap) for gap in gaps[:60])
    assert gaps == [], f"{len(gaps)} gaps of {len(source)} messages:\n{shown}"


def test_plural_rules_of_the_catalogs_are_used() -> None:
    """A catalog's Plural-Forms header is compiled in (a fuzzy header would be dropped, and
    French would count like English)."""
    translations = load_translations("fr")
    assert translations is not None
    assert [translations.plural(n) for n in (0, 1, 2, 10**6)] == [0, 0, 2, 1]
