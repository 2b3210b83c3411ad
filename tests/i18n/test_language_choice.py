"""Which language a page is served in, and the language switcher (a plain form, no script)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from server.web.locale import choose_language, parse_accept_language
from tests.conftest import SettingsMaker

SELECTABLE = ("en", "fr", "de", "es")


def _html_tag(page: httpx.Response) -> str:
    match = re.search(r"<html[^>]*>", page.text)
    assert match, page.text[:200]
    return match.group(0)


def test_accept_language_is_read_by_weight() -> None:
    assert parse_accept_language("de-CH;q=0.5, fr-FR, en;q=0.8, *;q=0.1, es;q=0") == [
        "fr",
        "en",
        "de",
    ]
    assert parse_accept_language("") == []
    assert parse_accept_language("fr;q=abc, de") == ["de"]


@pytest.mark.parametrize(
    ("member", "cookie", "accept", "default", "expected"),
    [
        ("de", "es", "fr", "en", "de"),  # the member's setting first
        (None, "es", "fr", "en", "es"),  # then the switcher's choice
        (None, None, "ja, fr;q=0.9", "en", "fr"),  # then the browser's, among those we have
        (None, None, "ja", "de", "de"),  # then the instance's
        (None, "xx", "", "en", "en"),  # an unknown choice is ignored
    ],
)
def test_choose_language_order(
    member: str | None, cookie: str | None, accept: str, default: str, expected: str
) -> None:
    assert choose_language([member, cookie], accept, default, SELECTABLE) == expected


async def test_pages_follow_accept_language_then_instance_default(
    app_for: Any, settings_for: SettingsMaker
) -> None:
    app = app_for(settings_for(instance={"language": "de"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        french = await client.get("/about", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        assert 'lang="fr"' in _html_tag(french) and 'dir="ltr"' in _html_tag(french)
        assert "Accept-Language" in french.headers["vary"]
        unknown = await client.get("/about", headers={"Accept-Language": "ja"})
        assert 'lang="de"' in _html_tag(unknown)


async def test_switcher_form_sets_the_language_without_javascript(web: Any) -> None:
    page = await web.get("/about", headers={"Accept-Language": "en"})
    assert '<form class="language-switcher" method="get" action="/language">' in page.text
    assert 'name="language" value="fr"' in page.text
    assert "set-cookie" not in page.headers  # the switcher keeps visitors' pages cookie-free
    answer = await web.get("/language", params={"language": "fr", "next": "/about"})
    assert answer.status_code == 303 and answer.headers["location"] == "/about"
    again = await web.get("/about", headers={"Accept-Language": "en"})
    assert 'lang="fr"' in _html_tag(again)


async def test_switcher_refuses_unknown_languages_and_offsite_targets(web: Any) -> None:
    unknown = await web.get("/language", params={"language": "xx", "next": "/"})
    assert unknown.status_code == 400
    offsite = await web.get("/language", params={"language": "fr", "next": "//evil.example/"})
    assert offsite.headers["location"] == "/"


async def test_right_to_left_instance_language_mirrors_pages(
    app_for: Any, settings_for: SettingsMaker
) -> None:
    app = app_for(settings_for(instance={"language": "ar"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        page = await client.get("/about")
        assert 'lang="ar"' in _html_tag(page) and 'dir="rtl"' in _html_tag(page)
        english = await client.get("/about", headers={"Accept-Language": "en"})
        assert 'dir="ltr"' in _html_tag(english)


async def test_member_setting_outranks_the_browser(web: Any) -> None:
    await web.login_as_new("amelie")
    page = await web.get("/about", headers={"Accept-Language": "fr"})
    assert 'lang="fr"' in _html_tag(page)
    # A signed-in member's switcher is a plain form POST with the CSRF token, saved to
    # the account.
    assert '<form class="language-switcher" method="post" action="/me/language">' in page.text
    saved = await web.post_form(
        "/me/language", {"language": "de", "next": "/about"}, csrf_from="/about"
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/about"
    web.client.cookies.delete("hearth_lang")  # the setting, not the cookie, decides
    page = await web.get("/about", headers={"Accept-Language": "fr"})
    assert 'lang="de"' in _html_tag(page)
    settings_page = await web.get("/me/language")
    assert 'value="de" checked' in settings_page.text
    # Back to following the browser.
    cleared = await web.post_form("/me/language", {"language": ""}, csrf_from="/me/language")
    assert cleared.headers["location"] == "/me/language"
    page = await web.get("/about", headers={"Accept-Language": "es"})
    assert 'lang="es"' in _html_tag(page)


async def test_member_setting_refuses_unknown_languages(web: Any) -> None:
    await web.login_as_new("amelie")
    refused = await web.post_form("/me/language", {"language": "klingon"}, csrf_from="/me/language")
    assert refused.status_code == 400
