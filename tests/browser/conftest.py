"""A real ``hearth serve`` process and a headless Chromium driven by Playwright.

The server runs on a free 127.0.0.1 port in a temporary directory (SQLite in ./data there),
with an instance admin created beforehand through the CLI. Chromium is Debian's
``/usr/bin/chromium``: when it is missing the tests fail and say so, they never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from tests.servers import (
    HearthServer,
    clean_env,
    create_user,
    free_port,
    run_hearth,
    serve,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_USERNAME = "admin"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(scope="session")
def hearth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HearthServer]:
    """Start ``hearth serve`` in a fresh directory with an admin; stop it after the session."""
    workdir = tmp_path_factory.mktemp("hearth-server")
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}", HEARTH_INSTANCE_NAME="Riverside Commons"
    )
    run_hearth(workdir, env, "migrate")
    create_user(workdir, env, ADMIN_USERNAME, admin=True)
    with serve(workdir, env, port) as server:
        yield server


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's chromium package")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class Tab:
    """A page plus the Content-Security-Policy violations it reported so far."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.base_url = base_url
        self.csp_errors: list[str] = []
        self.page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_errors.append(message.text)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)


def _open_tab(browser: Browser, server: HearthServer, viewport: ViewportSize) -> Iterator[Tab]:
    context = browser.new_context(viewport=viewport, base_url=server.base_url)
    context.set_default_timeout(10_000)
    try:
        yield Tab(context, server.base_url)
    finally:
        context.close()


@pytest.fixture
def phone(browser: Browser, hearth_server: HearthServer) -> Iterator[Tab]:
    """A fresh browser context (no cookies) with a 390x844 phone viewport."""
    yield from _open_tab(browser, hearth_server, PHONE)


@pytest.fixture
def desktop(browser: Browser, hearth_server: HearthServer) -> Iterator[Tab]:
    """A fresh browser context (no cookies) with a 1280x900 desktop viewport."""
    yield from _open_tab(browser, hearth_server, DESKTOP)
