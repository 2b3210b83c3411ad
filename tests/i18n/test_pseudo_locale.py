"""Every page a person sees is translated: rendered with a pseudo-translation of every message
(each one wrapped in ⟦…⟧ and its letters accented), no English word may be left visible
outside the wrapped text — a sentence written straight into a template or a view, outside
gettext, would show up here in any language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from server import i18n
from server.i18n_tools import extract_catalog
from tests.conftest import SettingsMaker
from tests.events.conftest import FORM
from tests.web import WebClient

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥíĵķĺḿñóƥʠŕšţúṽŵẋýžÀƁÇĐÉƑĜĤÍĴĶĹḾÑÓƤꝖŔŠŢÚṼŴẊÝŽ",
)
#: What a pseudo-translation keeps as is: placeholders, markup, entities, Jinja variables.
_KEEP_RE = re.compile(r"%\(\w+\)[sdifr]|%[sd]|<[^>]*>|&\w+;|\{\{.*?\}\}|\{%.*?%\}")
#: Words pages may show untranslated: names of things, formats, and the test's own data.
ALLOWED = {
    "hearth",
    "mastodon",
    "mobilizon",
    "gancio",
    "friendica",
    "lemmy",
    "activitypub",
    "fediverse",
    "rss",
    "atom",
    "ical",
    "icalendar",
    "ics",
    "csv",
    "json",
    "png",
    "jpeg",
    "gif",
    "webp",
    "svg",
    "pdf",
    "url",
    "api",
    "html",
    "markdown",
    "openstreetmap",
    "osm",
    "utc",
    "europe",
    "paris",
    "english",
    "deutsch",
    "español",
    "français",
    "http",
    "https",
    "www",
    "zorbl",
    "qwix",
    "blorp",
    "snarf",
    "vlek",
    "organizer",
    "example",
    "org",
    "localhost",
}
#: Babel's French day and month names (dates are French, not English left behind).
_FRENCH_DATES = {
    name.lower().rstrip(".")
    for context in ("format", "stand-alone")
    for width in ("abbreviated", "wide", "short")
    for table in (Locale("fr").days, Locale("fr").months)
    for name in table.get(context, {}).get(width, {}).values()
}
SEEN_DATA = {
    "title": "Blorp",
    "description": "Snarf",
    "venue_name": "Vlek",
    "street": "Vlek",
    "locality": "Vlek",
    "country": "Vlek",
    "tags": "blorp",
}


VISITOR_PAGES = ["/", "/about", "/events", "/login", "/signup"]
#: Pages of a signed-in admin who organizes the group ``club`` ({event}: its meetup's path).
MEMBER_PAGES = [
    "/groups/club",
    "{event}",
    "/groups/new",
    "/groups/club/edit",
    "/groups/club/events/new",
    "/me/language",
    "/me/notifications",
    "/notifications",
    "/me/groups",
    "/me/calendar",
    "/groups/club/events",
    "/groups/club/members",
    "/groups/club/proposals",
    "/groups/club/decisions",
    "/groups/club/attendance",
    "/groups/club/roles",
    "/groups/club/flyer",
    "{event}/flyer",
    "/groups/club/move",
    "/admin",
]


def pseudo(text: str) -> str:
    """⟦ + the text with accented letters (placeholders and markup kept) + ⟧."""
    pieces, last = [], 0
    for match in _KEEP_RE.finditer(text):
        pieces += [text[last : match.start()].translate(_ACCENTED), match.group(0)]
        last = match.end()
    return "⟦" + "".join([*pieces, text[last:].translate(_ACCENTED)]) + "⟧"


def _pseudo_catalog(directory: Path) -> None:
    source = extract_catalog()
    catalog = Catalog(locale="fr", domain="messages")
    for message in source:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            forms = tuple(pseudo(text) for text in message.id)
            strings = (forms[0], forms[1], forms[1])
        else:
            strings = pseudo(message.id)
        catalog.add(message.id, strings, context=message.context)
    path = directory / "fr" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as out:
        write_po(out, catalog)


@pytest.fixture
def pseudo_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """French served from a pseudo-translation of every message of the source."""
    _pseudo_catalog(tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.reload_catalogs()
    yield
    i18n.reload_catalogs()


class _VisibleText(HTMLParser):
    """Text a person sees: element text (not scripts or styles) and the attributes read out
    or shown (alt, title, placeholder, aria-label, button values)."""

    SHOWN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "code", "pre") or (
            tag == "textarea" and "readonly" in values
        ):
            self._hidden += 1  # not prose: scripts, and code to copy (an embed snippet)
        self.chunks += [values[name] or "" for name in self.SHOWN_ATTRIBUTES if name in values]
        if tag == "input" and values.get("type") in ("submit", "button"):
            self.chunks.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chunks.append(data)


def english_left(html: str) -> list[str]:
    """The visible words outside ⟦…⟧ that read as English (not names, numbers, addresses)."""
    parser = _VisibleText()
    parser.feed(html)
    text = re.sub(r"⟦[^⟧]*⟧", " ", " ".join(parser.chunks))
    words = []
    for token in text.split():
        if any(mark in token for mark in ("@", "/", ".org", "://")):
            continue  # handles, paths, addresses
        for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", token):
            if word.isascii() and len(word) > 2 and word.lower() not in ALLOWED | _FRENCH_DATES:
                words.append(word)
    return words


async def _visit(web: WebClient, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        page = await web.get(path, headers={"Accept-Language": "fr"})
        assert page.status_code == 200, (path, page.status_code)
        if words := english_left(page.text):
            found[path] = sorted(set(words))
    return found


def test_pseudo_translation_keeps_placeholders_and_markup() -> None:
    assert pseudo('Hello %(name)s, <a href="/x">go</a>') == (
        '⟦Ĥéĺĺó %(name)s, <a href="/x">ĝó</a>⟧'
    )
    assert english_left("<p>⟦Ĥéĺĺó⟧ Zorbl</p><p>Left behind</p>") == ["Left", "behind"]


async def test_the_main_pages_show_no_english_outside_gettext(
    pseudo_french: None, app_for: Any, settings_for: SettingsMaker
) -> None:
    import httpx

    settings = settings_for(instance={"name": "Zorbl", "description": "Qwix"})
    app = app_for(settings)
    transport = httpx.ASGITransport(app=app)
    french = {"Accept-Language": "fr"}  # every request, so flashes are made in French too
    async with httpx.AsyncClient(
        transport=transport, base_url=settings.base_url, headers=french
    ) as client:
        web = WebClient(client, app)
        visitor = await _visit(web, VISITOR_PAGES)
        await web.login_as_new("organizer", is_admin=True)
        assert (await web.create_group("club", "Zorbl", language="fr")).status_code == 303
        created = await web.post_form(
            "/groups/club/events/new", {**FORM, **SEEN_DATA}, csrf_from="/groups/club/events/new"
        )
        assert created.status_code == 303, created.text
        event_path = created.headers["location"]
        member = await _visit(web, [event_path.join(p.split("{event}")) for p in MEMBER_PAGES])
    found = {**visitor, **member}
    assert found == {}, "\n".join(f"{path}: {' '.join(words)}" for path, words in found.items())


@pytest.mark.parametrize("language", ["en", "fr", "de", "es"])
async def test_every_main_page_renders_in_each_language(language: str, web: WebClient) -> None:
    """With the real catalogs: every page answers, says its language, and no translation
    broke a placeholder (a leftover "%(" or a KeyError would show)."""

    async def check(paths: list[str]) -> None:
        for path in paths:
            page = await web.get(path)
            assert page.status_code == 200, (path, page.status_code)
            assert f'<html lang="{language}"' in page.text, path
            assert "%(" not in page.text and "⟦" not in page.text, path

    web.client.headers.update({"Accept-Language": language})
    await check(VISITOR_PAGES)
    await web.login_as_new("organizer", is_admin=True)
    assert (await web.create_group("club", "Zorbl", language=language)).status_code == 303
    created = await web.post_form(
        "/groups/club/events/new", {**FORM, **SEEN_DATA}, csrf_from="/groups/club/events/new"
    )
    assert created.status_code == 303, created.text
    await check([created.headers["location"].join(p.split("{event}")) for p in MEMBER_PAGES])
