"""A real ``hearth serve`` process and a headless Chromium driven by Playwright.

The server runs on a free 127.0.0.1 port in a temporary directory (SQLite in ./data there),
with an instance admin created beforehand through the CLI. Chromium is Debian's
``/usr/bin/chromium``: when it is missing the tests fail and say so, they never skip.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_TIMEOUT_SECONDS = 20.0
ADMIN_USERNAME = "admin"
PASSWORD = "a long enough password"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@dataclass(frozen=True)
class HearthServer:
    """A running server: where it listens and where its log goes."""

    base_url: str
    domain: str
    log_path: Path


def _hearth_command() -> Path:
    command = Path(sys.executable).with_name("hearth")
    if not command.exists():
        pytest.fail(f"the `hearth` command is not installed next to {sys.executable}")
    return command


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll the home page until it answers 200, for at most READY_TIMEOUT_SECONDS."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hearth serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"hearth serve was not ready within {READY_TIMEOUT_SECONDS:.0f} s:\n{log_path.read_text()}"
    )


@pytest.fixture(scope="session")
def hearth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HearthServer]:
    """Start ``hearth serve`` in a fresh directory; stop it after the session."""
    workdir = tmp_path_factory.mktemp("hearth-server")
    port = _free_port()
    domain = f"127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTH_")}
    env.update({"HEARTH_INSTANCE_DOMAIN": domain, "HEARTH_INSTANCE_NAME": "Riverside Commons"})
    hearth = _hearth_command()
    subprocess.run(
        [hearth, "migrate"], cwd=workdir, env=env, check=True, capture_output=True, timeout=60
    )
    subprocess.run(
        [
            hearth,
            "user",
            "create",
            ADMIN_USERNAME,
            "--email",
            "admin@example.org",
            "--admin",
            "--password-stdin",
        ],
        cwd=workdir,
        env=env,
        input=PASSWORD.encode(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [hearth, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(f"http://{domain}/", process, log_path)
            yield HearthServer(base_url=f"http://{domain}", domain=domain, log_path=log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


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
