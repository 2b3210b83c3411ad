"""The digital bulletin board: a group's meetups inside another website's iframe.

The other website is a second loopback HTTP server on another port (and another host name,
``localhost`` against Hearth's ``127.0.0.1``: another origin and another site). Its page is
the snippet copied from the group page, plus an iframe of an ordinary Hearth page, which
Chromium must refuse to show.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import Steps, cli_group_with_meetups, log_in
from tests.servers import HearthServer, free_port

pytestmark = pytest.mark.browser

SLUG = "laundromat"
GROUP = "Laundromat Board"
MEETUPS = ("Lamp clinic", "Seed swap", "Bike tune-up")


class ParentSite:
    """Another website on 127.0.0.1 (reached as ``localhost``) serving one page of HTML."""

    def __init__(self) -> None:
        self.html = "<!doctype html><title>empty</title>"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.url = f"http://localhost:{self.port}/"


@pytest.fixture(scope="module")
def parent_site() -> Iterator[ParentSite]:
    site = ParentSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def board_group(hearth_server: HearthServer) -> str:
    """A group made with the CLI, with three public meetups and a members-only one."""
    meetups = [(title, "public") for title in MEETUPS] + [("Members dinner", "members")]
    cli_group_with_meetups(hearth_server, SLUG, GROUP, meetups)
    return SLUG


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_snippet_shows_the_meetups_on_another_site_and_other_pages_refuse_frames(
    device: str,
    request: pytest.FixtureRequest,
    hearth_server: HearthServer,
    parent_site: ParentSite,
    board_group: str,
    screenshots: Path,
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"embed-{device}")
    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    tab.goto(f"/groups/{board_group}")
    page.get_by_text("Show these meetups on your website").click()
    snippet = page.get_by_label("Code to paste into your web page")
    expect(snippet).to_be_visible()
    steps.check("group-snippet")
    code = snippet.input_value()
    assert code.startswith(f'<iframe src="{hearth_server.base_url}/embed/groups/{SLUG}"')

    refusals: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Refused to display" in message.text or "frame-ancestors" in message.text:
            refusals.append(message.text)

    page.on("console", on_console)
    parent_site.html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Mill Street Laundromat</title></head><body><h1>Mill Street Laundromat</h1>"
        f"<div id='board'>{code}</div>"
        f"<iframe id='page' title='Group page' src='{hearth_server.base_url}/groups/{SLUG}'>"
        "</iframe></body></html>"
    )
    cookies_before = tab.context.cookies()
    page.goto(parent_site.url)
    board = page.frame_locator("#board iframe")
    expect(board.get_by_role("heading", level=1)).to_have_text(f"Meetups of {GROUP}")
    for title in MEETUPS:
        expect(board.get_by_role("link", name=title)).to_be_visible()
    expect(board.get_by_text("Members dinner")).to_have_count(0)
    link = board.get_by_role("link", name=MEETUPS[0])
    expect(link).to_have_attribute("target", "_blank")
    page.screenshot(path=screenshots / f"embed-{device}-02-on-another-site.png", full_page=True)

    # The ordinary group page, framed, is refused: Chromium reports it and shows nothing.
    expect(page.frame_locator("#page").get_by_role("heading", name=GROUP)).to_have_count(0)
    page.wait_for_timeout(200)
    assert any("frame" in text for text in refusals), refusals
    board_frame = next(frame for frame in page.frames if "/embed/" in frame.url)
    widths = board_frame.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the embed scrolls sideways: {widths}"
    # The cookies of the signed-in Hearth tab are as they were: the embed set none.
    assert tab.context.cookies() == cookies_before


def test_screen_layout_for_a_shop_window(desktop: Tab, board_group: str, screenshots: Path) -> None:
    page = desktop.page
    page.set_viewport_size({"width": 1920, "height": 1080})
    desktop.goto(f"/embed/groups/{board_group}?screen=1")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Meetups of {GROUP}")
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    title_size = page.get_by_role("heading", level=1).evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert title_size >= 56, f"the screen title is too small to read from afar: {title_size}px"
    height, inner = page.evaluate("[document.scrollingElement.scrollHeight, window.innerHeight]")
    assert height <= inner, f"a wall screen cannot be scrolled: {height} > {inner} px"
    steps = Steps(desktop, screenshots, "embed-screen")
    steps.check("shop-window")
    assert desktop.context.cookies() == []
