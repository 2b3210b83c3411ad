"""Sessions end server-side, logins are slowed per account without locking the owner out,
and X-Forwarded-For is believed only from trusted proxies (issue #15, item 5)."""

from __future__ import annotations

from typing import Any

import httpx

from server.config import Settings
from tests.conftest import SettingsMaker
from tests.server.accounts import is_signed_in
from tests.server.conftest import BrowserFactory
from tests.web import PASSWORD, WebClient

WRONG = {"login": "alice", "password": "not the password"}
RIGHT = {"login": "alice", "password": PASSWORD}


async def test_signing_out_ends_a_copied_session_cookie(
    web: WebClient, second_browser: WebClient
) -> None:
    """Someone who copied the cookie (a shared computer, a stolen backup) is signed out
    with the owner: the cookie is still validly signed, but its session is over."""
    await web.login_as_new("alice")
    second_browser.client.cookies.set("hearth_session", web.client.cookies["hearth_session"])
    assert await is_signed_in(second_browser)
    await web.logout()
    assert not await is_signed_in(web)
    assert not await is_signed_in(second_browser)


async def test_signing_out_ends_every_session_of_the_account(
    web: WebClient, second_browser: WebClient
) -> None:
    await web.login_as_new("alice")
    await second_browser.login("alice")
    await second_browser.logout()
    assert not await is_signed_in(web)
    await web.login("alice")
    assert await is_signed_in(web)


async def test_guessing_is_slowed_per_account_but_the_owner_still_gets_in(
    web: WebClient, browser_for: BrowserFactory, settings: Settings, app: Any
) -> None:
    """Five wrong passwords from an attacker's browser, then it must wait (429 with
    Retry-After, the password not even checked: the right one is refused too); the owner's
    browser, which signed in before, gets in at once."""
    await web.login_as_new("alice")
    await web.logout()
    attacker = await browser_for(settings, app)
    codes = [(await attacker.post_form("/login", WRONG)).status_code for _ in range(5)]
    assert codes == [403] * 5
    slowed = await attacker.post_form("/login", RIGHT)
    assert slowed.status_code == 429, slowed.status_code
    assert int(slowed.headers["retry-after"]) >= 1
    assert "Too many failed attempts" in slowed.text
    assert (await web.post_form("/login", RIGHT)).status_code == 303
    assert await is_signed_in(web)


async def test_a_wrong_password_from_the_owners_browser_does_not_slow_it(
    web: WebClient,
) -> None:
    await web.login_as_new("alice")
    await web.logout()
    codes = [(await web.post_form("/login", WRONG)).status_code for _ in range(7)]
    assert codes == [403] * 7
    assert (await web.post_form("/login", RIGHT)).status_code == 303


async def _login_codes(
    app: Any, settings: Settings, client_ip: str, forwarded: list[str]
) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        codes = []
        for address in forwarded:
            response = await client.post(
                "/login", data={"login": "x", "password": "y"},
                headers={"X-Forwarded-For": address},
            )  # fmt: skip
            codes.append(response.status_code)
        return codes


async def test_forwarded_addresses_count_only_from_trusted_proxies(
    settings_for: SettingsMaker, app_for: Any
) -> None:
    """login_per_ip = 2: behind the (loopback) proxy each forwarded address has its own
    allowance; a client elsewhere cannot pick a new address per request."""
    settings = settings_for(rate_limits={"login_per_ip": 2})
    app = app_for(settings)
    addresses = [f"203.0.113.{n}" for n in range(1, 5)]
    proxied = await _login_codes(app, settings, "127.0.0.1", addresses)
    assert 429 not in proxied
    direct = await _login_codes(app, settings, "198.51.100.7", addresses)
    assert direct[-1] == 429


async def test_another_proxy_can_be_trusted(settings_for: SettingsMaker, app_for: Any) -> None:
    settings = settings_for(
        rate_limits={"login_per_ip": 2}, server={"trusted_proxies": ["10.0.0.0/8"]}
    )
    app = app_for(settings)
    addresses = [f"203.0.113.{n}" for n in range(1, 5)]
    assert 429 not in await _login_codes(app, settings, "10.1.2.3", addresses)
    assert (await _login_codes(app, settings, "127.0.0.1", addresses))[-1] == 429
