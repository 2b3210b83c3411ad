"""The README's screenshots, taken from a running instance: a group page (desktop), a meetup
on a phone, the embeddable list and the shop-window screen.

They are written to tests/screenshots/ on every run, and to docs/screenshots/ (committed,
linked from the README) when HEARTH_README_SCREENSHOTS=1. Viewport-sized, not full pages, so
the PNGs stay small."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.browser.conftest import PHONE
from tests.browser.pages import cli_group_with_meetups
from tests.servers import HearthServer

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 200_000
SHOTS: list[tuple[str, str, ViewportSize]] = [
    ("group", "/groups/{slug}", {"width": 1024, "height": 720}),
    ("meetup-phone", "/events/{event}", PHONE),
    ("embed", "/embed/groups/{slug}", {"width": 420, "height": 520}),
    ("screen", "/embed/groups/{slug}?screen=1", {"width": 1280, "height": 720}),
]


def test_readme_screenshots(
    browser: Browser, hearth_server: HearthServer, screenshots: Path
) -> None:
    slug = "repair-cafe"
    events = cli_group_with_meetups(
        hearth_server,
        slug,
        "Repair Café",
        [("Fix-it Saturday", "public"), ("Bike tune-up", "public"), ("Sewing circle", "public")],
        about=(
            "--summary",
            "Bring what is broken: lamps, bikes, jackets. We fix them **together**, "
            "first Saturday of the month.",
            "--location",
            "Mill Street, Riverside",
        ),
    )
    target = DOCS if os.environ.get("HEARTH_README_SCREENSHOTS") == "1" else screenshots
    target.mkdir(parents=True, exist_ok=True)
    for name, path, viewport in SHOTS:
        context = browser.new_context(viewport=viewport, base_url=hearth_server.base_url)
        try:
            page = context.new_page()
            page.goto(path.format(slug=slug, event=events[0]))
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            file = target / (f"{name}.png" if target == DOCS else f"readme-{name}.png")
            page.screenshot(path=file)
            assert file.stat().st_size < MAX_BYTES, f"{file} is {file.stat().st_size} bytes"
        finally:
            context.close()
