"""Languages in a real browser: the footer's switcher works with JavaScript turned off, and
a right-to-left instance (``instance.language = "ar"``, no Arabic catalog yet) lays out
mirrored without sideways scrolling on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ADMIN_USERNAME, PHONE, Tab
from tests.browser.pages import Steps, cli_group_with_meetups
from tests.servers import HearthServer, clean_env, create_user, free_port, run_hearth, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def arabic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HearthServer]:
    """An instance whose language is Arabic: pages are served dir="rtl" before any Arabic
    catalog exists (the text stays English until one is added)."""
    workdir = tmp_path_factory.mktemp("hearth-arabic")
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_INSTANCE_NAME="Riverside Commons",
        HEARTH_INSTANCE_LANGUAGE="ar",
    )
    run_hearth(workdir, env, "migrate")
    create_user(workdir, env, ADMIN_USERNAME, admin=True)
    with serve(workdir, env, port) as server:
        yield server


def _html_attributes(tab: Tab) -> tuple[str, str]:
    page = tab.page
    return (
        page.evaluate("() => document.documentElement.lang"),
        page.evaluate("() => document.documentElement.dir"),
    )


def _expect_html_attributes(tab: Tab, lang: str, direction: str) -> None:
    """After a click that loads another page: wait (Playwright's retrying assertions) until
    the page shown has this language and direction — the old page may still be there, or
    none at all, for a moment."""
    html = tab.page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", direction)


def test_switching_language_without_javascript(
    browser: Browser, hearth_server: HearthServer, screenshots: Path
) -> None:
    context = browser.new_context(
        viewport=PHONE, base_url=hearth_server.base_url, java_script_enabled=False
    )
    try:
        tab = Tab(context, hearth_server.base_url)
        steps = Steps(tab, screenshots, "language-switch")
        tab.goto("/about")
        assert _html_attributes(tab) == ("en", "ltr")
        tab.page.get_by_role("button", name="Français").click()
        _expect_html_attributes(tab, "fr", "ltr")
        tab.page.wait_for_url("**/about")
        steps.check("french")
        tab.page.get_by_role("button", name="Deutsch").click()
        _expect_html_attributes(tab, "de", "ltr")
        tab.page.wait_for_url("**/about")
        # The choice stays with the browser (a cookie) on the next pages.
        tab.goto("/")
        assert _html_attributes(tab) == ("de", "ltr")
    finally:
        context.close()


def test_a_right_to_left_instance_lays_out_mirrored_on_a_phone(
    browser: Browser, arabic_server: HearthServer, screenshots: Path
) -> None:
    ids = cli_group_with_meetups(
        arabic_server, "garden", "Community Garden", [("Seed swap", "public")]
    )
    # An Arabic reader's browser (Accept-Language: ar); Chromium's default asks for English,
    # which this instance also serves.
    context = browser.new_context(viewport=PHONE, base_url=arabic_server.base_url, locale="ar")
    try:
        tab = Tab(context, arabic_server.base_url)
        steps = Steps(tab, screenshots, "rtl-phone")
        for name, path in [
            ("home", "/"),
            ("about", "/about"),
            ("group", "/groups/garden"),
            ("meetup", f"/events/{ids[0]}"),
            ("groups", "/groups"),
            ("login", "/login"),
        ]:
            tab.goto(path)
            steps.check(name)  # includes: no sideways scrolling at 390 px
            assert _html_attributes(tab) == ("ar", "rtl"), name
        # Mirrored: the header's brand sits at the right edge, as an Arabic reader expects.
        tab.goto("/")
        brand = tab.page.locator(".site-header .brand").bounding_box()
        assert brand is not None
        assert PHONE["width"] - (brand["x"] + brand["width"]) < 40 < brand["x"], brand
        # A visitor can still switch to a left-to-right language.
        tab.page.get_by_role("button", name="English").click()
        _expect_html_attributes(tab, "en", "ltr")
    finally:
        context.close()
