"""A member's side in a real browser (issue #16): the unread count in the header and the
notifications page after a seat frees up from the waitlist, and the home feed with the next
meetups ("You're going") and the group's announcements — on a phone and on a desktop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ADMIN_USERNAME, DESKTOP, PHONE, Tab
from tests.browser.pages import Steps, create_group, expect_flash, log_in
from tests.servers import PASSWORD, HearthServer

pytestmark = pytest.mark.browser


@pytest.fixture
def second_person(
    request: pytest.FixtureRequest, browser: Browser, hearth_server: HearthServer
) -> Iterator[dict[str, Tab]]:
    """Another browser (own cookies) per device, opened on demand."""
    opened: dict[str, Tab] = {}
    yield opened
    for tab in opened.values():
        tab.context.close()


def open_tab(browser: Browser, server: HearthServer, device: str) -> Tab:
    viewport = PHONE if device == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, base_url=server.base_url)
    context.set_default_timeout(10_000)
    return Tab(context, server.base_url)


def sign_up(tab: Tab, username: str, name: str) -> None:
    tab.goto("/signup")
    page = tab.page
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect_flash(page, f"Welcome to Riverside Commons, {name}!")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_member_hears_of_a_seat_and_finds_it_on_home(
    device: str,
    request: pytest.FixtureRequest,
    browser: Browser,
    hearth_server: HearthServer,
    second_person: dict[str, Tab],
    screenshots: Path,
) -> None:
    organizer: Tab = request.getfixturevalue(device)
    page = organizer.page
    slug = f"chess-{device}"
    organizer.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(
        page, slug, f"Chess {device.title()}", summary="Blitz.", place="Lyon", tags="chess"
    )
    page.get_by_label("New announcement").fill(f"Boards arrive on Friday ({device})")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="New meetup").click()
    page.get_by_label("Title").fill(f"Simul night {device}")
    page.get_by_label(re.compile(r"^Date\b")).fill((date.today() + timedelta(days=9)).isoformat())
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_label("Ends at").fill("21:00")
    page.get_by_label("Capacity").fill("1")
    page.get_by_role("button", name="Publish meetup").click()
    expect_flash(page, "Meetup published.")
    meetup_url = page.url
    page.get_by_role("button", name="Going").click()

    member = second_person[device] = open_tab(browser, hearth_server, device)
    steps = Steps(member, screenshots, f"members-{device}")
    sign_up(member, f"mia_{device}", f"Mia {device.title()}")
    mpage = member.page
    member.goto(f"/groups/{slug}")
    mpage.get_by_role("button", name="Join", exact=True).click()
    member.page.goto(meetup_url)
    mpage.get_by_role("button", name="Going").click()
    expect_flash(mpage, "on the waitlist")
    bell = mpage.get_by_role("navigation", name="Account").get_by_role(
        "link", name=re.compile("^Notifications")
    )
    expect(bell).to_have_accessible_name(re.compile(r"^Notifications( 1 unread)?$"))

    page.goto(meetup_url)
    page.get_by_role("button", name="Can't go").click()
    expect_flash(page, "Noted: you can't make it")

    member.goto("/")
    expect(bell).to_have_accessible_name(re.compile(r"^Notifications \d+ unread$"))
    count = int(re.findall(r"\d+", bell.inner_text())[0])
    assert count >= 1
    steps.check("unread-count")
    bell.click()
    expect(mpage.get_by_role("heading", level=1)).to_have_text("Notifications")
    seat = mpage.locator(".notification.is-new").filter(has_text="A seat freed up")
    expect(seat).to_be_visible()
    expect(seat.get_by_text("New")).to_be_visible()
    expect(bell).to_have_accessible_name("Notifications")  # seen: no count any more
    steps.check("notifications")
    seat.get_by_role("link").click()
    expect(mpage).to_have_url(meetup_url)
    expect(mpage.get_by_role("button", name="Going")).to_have_attribute("aria-pressed", "true")

    mpage.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(mpage.get_by_role("heading", level=1)).to_have_text("Home")
    upcoming = mpage.get_by_role("region", name="Next meetups")
    expect(upcoming.get_by_text(f"Simul night {device}")).to_be_visible()
    expect(upcoming.get_by_text("You're going")).to_be_visible()
    feed = mpage.get_by_role("region", name="Latest from your groups and follows")
    expect(feed.get_by_text(f"Boards arrive on Friday ({device})")).to_be_visible()
    expect(feed.get_by_text(f"Chess {device.title()} announced a meetup")).to_be_visible()
    steps.check("home-feed")
