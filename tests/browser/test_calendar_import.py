"""An organizer subscribes a group to an external calendar in a real browser (issue #18 §1):
the calendar is served over HTTP on 127.0.0.1 (the server allows private addresses for this
test only), the organizer pastes its link on the group's "Import a calendar" page,
the meetups appear on the group's calendar, and an imported meetup's page says where it came
from and can be detached. Each page gets the shared checks (labels, no sideways scroll, no
CSP violation) and a screenshot."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import PHONE, Tab
from tests.browser.pages import Steps, create_group, expect_flash, log_in
from tests.calendar_imports.calendar_server import calendar, vevent
from tests.servers import HearthServer, clean_env, create_user, free_port, run_hearth, serve

pytestmark = pytest.mark.browser


def _day(days: int) -> datetime:
    now = datetime.now(ZoneInfo("Europe/Paris"))
    return (now + timedelta(days=days)).replace(
        hour=18, minute=30, second=0, microsecond=0, tzinfo=None
    )


@pytest.fixture
def calendar_host() -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 serving one calendar; yields its http:// link
    (webcal:// would mean https://: see tests/flows/test_calendar_import.py)."""
    body = calendar(
        vevent("talk@library", _day(9), "Author talk", "LOCATION:Town library"),
        vevent("swap@library", _day(4), "Book swap", "RRULE:FREQ=WEEKLY;COUNT=3"),
        name="Library events",
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/library.ics"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HearthServer]:
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_INSTANCE_TIMEZONE="Europe/Paris",
        HEARTH_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true",
    )
    run_hearth(tmp_path, env, "migrate")
    create_user(tmp_path, env, "nadia")
    with serve(tmp_path, env, port) as running:
        yield running


def test_an_organizer_imports_a_calendar(
    browser: Browser, server: HearthServer, calendar_host: str, screenshots: Path
) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.base_url)
    context.set_default_timeout(15_000)
    try:
        tab = Tab(context, server.base_url)
        page, steps = tab.page, Steps(tab, screenshots, "calendar-import")
        tab.goto("/")
        log_in(page, "nadia")
        tab.goto("/")
        create_group(
            page, "readers", "Riverside Readers", summary="Books", place="Riverside", tags="books"
        )
        tab.goto("/groups/readers/events")
        page.get_by_role("link", name="Import a calendar").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import a calendar")
        steps.check("empty")

        page.get_by_label("Calendar link").fill("ftp://example.org/x.ics")
        page.get_by_role("button", name="Import and subscribe").click()
        expect(page.get_by_role("alert")).to_contain_text("starts with https://")
        steps.check("refused")

        page.get_by_label("Calendar link").fill(calendar_host)
        page.get_by_role("button", name="Import and subscribe").click()
        expect_flash(page, "Imported “Library events”: 4 new")
        expect(page.get_by_role("heading", name="Library events")).to_be_visible()
        steps.check("subscribed")

        tab.goto("/groups/readers/events")
        meetups = page.locator(".event-list")
        expect(meetups.get_by_text("Author talk")).to_be_visible()
        expect(meetups.get_by_text("Book swap")).to_have_count(3)
        steps.check("meetups")

        meetups.get_by_text("Author talk").click()
        expect(page.get_by_role("heading", name="Imported from a calendar")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text("Town library")
        steps.check("imported-meetup")
        page.get_by_role("button", name="Detach from the calendar").click()
        expect_flash(page, "Detached")
        expect(page.get_by_role("heading", name="Imported, then detached")).to_be_visible()
    finally:
        context.close()
