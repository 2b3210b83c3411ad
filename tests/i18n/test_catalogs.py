"""Catalogs: every domain of a language merged, compiled when stale, plurals by the catalog."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from server import i18n
from server.i18n_catalogs import compile_catalogs, load_translations


def _write_po(root: Path, language: str, domain: str, messages: dict[object, object]) -> Path:
    catalog = Catalog(locale=language, domain=domain)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)  # type: ignore[arg-type]
    path = root / language / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog)
    return path


def test_domains_of_a_language_are_merged(tmp_path: Path) -> None:
    _write_po(tmp_path, "fr", "pages", {"Log in": "Se connecter"})
    _write_po(tmp_path, "fr", "app", {"Meetup cancelled.": "Rencontre annulée."})
    translations = load_translations("fr", tmp_path)
    assert translations is not None
    assert translations.gettext("Log in") == "Se connecter"
    assert translations.gettext("Meetup cancelled.") == "Rencontre annulée."
    assert translations.gettext("Not in any catalog") == "Not in any catalog"
    assert load_translations("ja", tmp_path) is None


def test_plural_forms_come_from_the_catalog(tmp_path: Path) -> None:
    _write_po(
        tmp_path,
        "fr",
        "app",
        # CLDR's French has three forms: one (0, 1), many (millions), other.
        {
            ("%(num)d seat left", "%(num)d seats left"): (
                "%(num)d place",
                "%(num)d de places",
                "%(num)d places",
            )
        },
    )
    translations = load_translations("fr", tmp_path)
    assert translations is not None
    # French counts 0 and 1 as singular, English only 1.
    assert translations.ngettext("%(num)d seat left", "%(num)d seats left", 0) == "%(num)d place"
    assert translations.ngettext("%(num)d seat left", "%(num)d seats left", 2) == "%(num)d places"
    assert translations.ngettext("%(num)d seat left", "%(num)d seats left", 10**6) == (
        "%(num)d de places"
    )


def test_a_stale_mo_is_recompiled_when_loading(tmp_path: Path) -> None:
    po = _write_po(tmp_path, "de", "app", {"Going": "Dabei"})
    assert [p.name for p in compile_catalogs(tmp_path)] == ["app.mo"]
    assert compile_catalogs(tmp_path) == []  # up to date: nothing to do
    _write_po(tmp_path, "de", "app", {"Going": "Ich komme"})
    earlier = po.stat().st_mtime - 10
    os.utime(po.with_suffix(".mo"), (earlier, earlier))  # the .mo predates the edit
    translations = load_translations("de", tmp_path)
    assert translations is not None and translations.gettext("Going") == "Ich komme"
    assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime


def test_use_locale_switches_for_a_block_and_restores() -> None:
    with i18n.use_locale("fr-CA") as tag:
        assert tag == "fr" and i18n.get_locale() == "fr"
        with i18n.use_locale("de"):
            assert i18n.get_locale() == "de"
        assert i18n.get_locale() == "fr"
    assert i18n.get_locale() == "en"


def test_text_direction_of_right_to_left_languages() -> None:
    assert [i18n.text_direction(tag) for tag in ("ar", "he-IL", "fa", "ur", "fr", "en")] == [
        "rtl",
        "rtl",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
    ]


def test_lazy_gettext_translates_when_used() -> None:
    lazy = i18n.lazy_gettext("Log in")
    with i18n.use_locale("en"):
        assert str(lazy) == "Log in"
