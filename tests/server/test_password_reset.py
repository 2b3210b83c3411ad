"""Password reset: links printed by ``hearth user reset-link`` or emailed through a real
(local) SMTP server work once and expire; the form never tells whether an account exists.
The email is queued and sent by the worker, so the form answers alike either way."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.db import utcnow
from server.models import OutgoingEmail, PasswordReset
from tests.conftest import SettingsMaker
from tests.mailbox import Mailbox, running_mailbox
from tests.server.accounts import is_signed_in, page_without_token
from tests.server.conftest import AsyncCliRunner, BrowserFactory
from tests.server.db_access import Snapshot, run_in
from tests.servers import free_port
from tests.web import PASSWORD, WebClient

NEW_PASSWORD = "a fresh new password"
LINK_RE = re.compile(r"http://localhost:8000(/reset/[A-Za-z0-9_-]+)")


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (no TLS) and the port it listens on."""
    with running_mailbox() as box:
        yield box, box.port


@pytest.fixture
async def mailing_web(
    mailbox: tuple[Mailbox, int], settings_for: SettingsMaker, browser_for: BrowserFactory
) -> WebClient:
    """A browser on an instance that sends its email to ``mailbox``."""
    _, port = mailbox
    settings = settings_for(smtp={"host": "127.0.0.1", "port": port, "starttls": False})
    return await browser_for(settings)


async def use_link(web: WebClient, path: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await web.post_form(path, {"password": password}, csrf_from=path)


async def ask_for_reset(web: WebClient, login: str) -> tuple[httpx.Response, str]:
    """Submit the reset form, then let the worker send what it queued; returns the response
    and the text of the page it leads to."""
    response = await web.post_form("/reset", {"login": login}, csrf_from="/reset")
    assert response.status_code == 303
    follow = await web.get(response.headers["location"])
    await runtime_of(web.app).worker.run_periodic(force=True)
    return response, page_without_token(follow)


async def test_a_cli_reset_link_works_once(
    web: WebClient, second_browser: WebClient, acli: AsyncCliRunner, cli_config: Path
) -> None:
    await web.make_user("alice")
    result = await acli("--config", str(cli_config), "user", "reset-link", "alice")
    assert result.status == 0, result.err
    match = LINK_RE.fullmatch(result.out.strip())
    assert match, result.out
    path = match.group(1)

    form = await web.get(path)
    assert form.status_code == 200
    assert f'action="{path}"' in form.text
    used = await use_link(web, path)
    assert used.status_code == 303
    assert "Your password has been changed." in (await web.get("/")).text
    assert await is_signed_in(web)

    old = await second_browser.post_form("/login", {"login": "alice", "password": PASSWORD})
    assert old.status_code == 403
    await second_browser.login("alice", NEW_PASSWORD)

    again = await web.get(path)
    assert again.status_code == 404
    assert "invalid or has expired" in again.text
    assert 'name="password"' not in again.text
    reused = await web.post_form(path, {"password": "yet another password"}, csrf_from="/login")
    assert reused.status_code == 404
    await second_browser.logout()
    await second_browser.login("alice", NEW_PASSWORD)


async def test_an_expired_link_is_refused(
    web: WebClient,
    acli: AsyncCliRunner,
    cli_config: Path,
    snapshot: Callable[[], Awaitable[Snapshot]],
) -> None:
    await web.make_user("alice")
    result = await acli("--config", str(cli_config), "user", "reset-link", "alice")
    match = LINK_RE.fullmatch(result.out.strip())
    assert match
    path = match.group(1)

    async def expire(session: Any) -> None:
        row = (await session.exec(select(PasswordReset))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)

    await run_in(runtime_of(web.app).engine, expire)
    assert (await web.get(path)).status_code == 404
    before = await snapshot()
    response = await web.post_form(path, {"password": NEW_PASSWORD}, csrf_from="/login")
    assert response.status_code == 404
    assert "invalid or has expired" in response.text
    assert await snapshot() == before
    await web.login("alice")


async def test_a_link_stays_usable_after_a_weak_password(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path
) -> None:
    await web.make_user("alice")
    result = await acli("--config", str(cli_config), "user", "reset-link", "alice")
    match = LINK_RE.fullmatch(result.out.strip())
    assert match
    path = match.group(1)
    weak = await use_link(web, path, "short")
    assert weak.status_code == 400
    assert "at least 10 characters" in weak.text
    assert f'action="{path}"' in weak.text
    assert not await is_signed_in(web)
    assert (await use_link(web, path)).status_code == 303


async def test_made_up_links_are_404(web: WebClient) -> None:
    for token in ("nope", "x" * 43, "%2e%2e"):
        assert (await web.get(f"/reset/{token}")).status_code == 404


async def test_the_reset_form_emails_a_working_link(
    mailing_web: WebClient, mailbox: tuple[Mailbox, int], browser_for: BrowserFactory
) -> None:
    web = mailing_web
    box, _ = mailbox
    await web.make_user("alice")
    assert "We'll email you a link" in (await web.get("/reset")).text.replace("&#39;", "'")
    response = await web.post_form("/reset", {"login": "Alice@Example.org"}, csrf_from="/reset")
    assert response.status_code == 303
    page = page_without_token(await web.get(response.headers["location"]))
    assert "If an account matches, we have emailed it a link" in page
    assert box.messages == []  # queued by the request, sent by the worker
    await runtime_of(web.app).worker.run_periodic(force=True)

    [message] = box.messages
    assert message["To"] == "alice@example.org"
    assert message["From"] == "noreply@localhost"
    assert message["Subject"] == "Reset your password on Hearth"
    body = message.get_content()
    assert "@alice" in body
    match = LINK_RE.search(body)
    assert match, body
    path = match.group(1)

    assert (await use_link(web, path)).status_code == 303
    assert await is_signed_in(web)
    assert (await web.get(path)).status_code == 404
    other = await browser_for(runtime_of(web.app).settings, web.app)
    await other.login("alice", NEW_PASSWORD)


@pytest.mark.parametrize("login", ["nobody", "nobody@example.org", "bob", ""])
async def test_the_reset_form_never_says_whether_an_account_exists(
    mailing_web: WebClient, mailbox: tuple[Mailbox, int], login: str
) -> None:
    web = mailing_web
    box, _ = mailbox
    await web.make_user("alice")
    await web.make_user("bob", state="pending")
    known, known_page = await ask_for_reset(web, "alice")
    unknown, unknown_page = await ask_for_reset(web, login)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    assert known_page == unknown_page
    assert [m["To"] for m in box.messages] == ["alice@example.org"]


async def test_without_smtp_the_form_points_to_the_admins(
    web: WebClient,
) -> None:
    await web.make_user("alice")
    assert "an admin will give you a reset link" in (await web.get("/reset")).text
    known, known_page = await ask_for_reset(web, "alice")
    unknown, unknown_page = await ask_for_reset(web, "nobody")
    assert known.headers["location"] == unknown.headers["location"] == "/login"
    assert known_page == unknown_page
    assert "hearth user reset-link USERNAME" in known_page


async def test_an_unreachable_mail_server_is_not_an_error(
    settings_for: SettingsMaker, browser_for: BrowserFactory
) -> None:
    settings = settings_for(smtp={"host": "127.0.0.1", "port": free_port(), "starttls": False})
    web = await browser_for(settings)
    await web.make_user("alice")
    _, known_page = await ask_for_reset(web, "alice")
    _, unknown_page = await ask_for_reset(web, "nobody")
    assert known_page == unknown_page
    assert "If an account matches" in known_page

    async def queued(session: Any) -> list[OutgoingEmail]:
        return list((await session.exec(select(OutgoingEmail))).all())

    [kept] = await run_in(runtime_of(web.app).engine, queued)
    assert (kept.to_address, kept.state, kept.attempts) == ("alice@example.org", "pending", 1)
    assert "ConnectionRefusedError" in kept.last_error
