"""My calendar in a real browser with meetups of groups followed on other servers (issue #22):
on a phone, each shows its picture, its time in the instance's zone when the peer sent none
(Friendica, Gancio), its place, hashtags and group; the online link and the group link can
be tapped (they sit above the link covering the whole entry); no sideways scroll, no CSP
violation, no axe-core violation.

The server's database is seeded before it starts with what processing a Gancio Create would
have stored (see tests/flows/test_calendar_remote.py for that path over the wire).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, create_engine

from server.models import Follow, RemoteActor, RemoteEvent
from tests.browser.axe import axe_violations
from tests.browser.conftest import PHONE, Tab
from tests.browser.pages import Steps, log_in
from tests.servers import HearthServer, clean_env, create_user, free_port, run_hearth, serve

pytestmark = pytest.mark.browser

GROUP = "https://peer.example/federation/u/market"


def _seed(database: Path, base_url: str, start: datetime) -> None:
    """rosa follows a Gancio group whose meetup arrived with offsets only."""
    engine = create_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        session.add(
            RemoteActor(
                uri=GROUP,
                inbox=f"{GROUP}/inbox",
                username="market",
                domain="peer.example",
                name="Market Collective",
                url=f"{base_url}/events",  # the group's page: somewhere the browser can go
                type="Group",
            )
        )
        session.add(
            Follow(follower_uri=f"{base_url}/users/rosa", followee_uri=GROUP, state="accepted")
        )
        session.add(
            RemoteEvent(
                uri="https://peer.example/federation/m/42",
                actor_uri=GROUP,
                sent_by=GROUP,
                url=f"{base_url}/about",
                name="Open-air picture show",
                starts_at=start,
                ends_at=start + timedelta(hours=2, minutes=30),
                location="Gemeindesaal, Hauptstraße 5, Graz",
                online_url=f"{base_url}/events?tag=cinema",
                image_url=f"{base_url}/static/meetup.png",
                tags="Cinema\nOpen Air",
            )
        )
        session.commit()
    engine.dispose()


@pytest.fixture
def server_with_a_followed_group(tmp_path: Path) -> Iterator[tuple[HearthServer, datetime]]:
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}", HEARTH_INSTANCE_TIMEZONE="Europe/Vienna"
    )
    run_hearth(tmp_path, env, "migrate")
    create_user(tmp_path, env, "rosa")
    start = datetime(datetime.now(UTC).year + 1, 6, 14, 13, tzinfo=UTC)  # summer time
    _seed(tmp_path / "data" / "hearth.db", f"http://127.0.0.1:{port}", start)
    with serve(tmp_path, env, port) as server:
        yield server, start


def test_a_remote_meetup_on_a_phone(
    browser: Browser,
    server_with_a_followed_group: tuple[HearthServer, datetime],
    screenshots: Path,
) -> None:
    server, start = server_with_a_followed_group
    context = browser.new_context(viewport=PHONE, base_url=server.base_url)
    context.set_default_timeout(10_000)
    try:
        tab = Tab(context, server.base_url)
        page, steps = tab.page, Steps(tab, screenshots, "calendar-remote")
        tab.goto("/")
        log_in(page, "rosa")
        tab.goto("/me/calendar")
        steps.check("my-calendar")
        entry = page.locator("li.remote-event")
        expect(entry.get_by_role("heading", name="Open-air picture show")).to_be_visible()
        # 13:00 UTC in June is 15:00 in Vienna, the instance's zone; 2 h 30 later it ends.
        expect(entry.locator("time")).to_contain_text("15:00–17:30 (Europe/Vienna)")
        expect(entry).to_contain_text(f"{start:%a} {start.day} {start:%b} {start.year}")
        expect(entry).to_contain_text("Gemeindesaal, Hauptstraße 5, Graz")
        expect(entry.get_by_role("list", name="Tags")).to_have_text("#Cinema#Open Air")
        picture = entry.locator("img.event-thumb")
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
        assert axe_violations(page) == []

        entry.get_by_role("link", name="Join online").click()
        page.wait_for_url("**/events?tag=cinema")
        page.go_back()
        entry.get_by_role("link", name="Market Collective").click()
        page.wait_for_url("**/events")
        page.go_back()
        entry.get_by_role("link", name="Open-air picture show").click()
        page.wait_for_url("**/about")
    finally:
        context.close()
