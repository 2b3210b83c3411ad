"""The bugs found in issue #16, as a person meets them in a real browser (phone and desktop):
a CLI-made group's edit form, destructive buttons that ask first without JavaScript, the only
admin's way out, the waitlisted person's buttons, heading levels, and the check-in code that
changes without reloading the page."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN_USERNAME, DESKTOP, Tab
from tests.browser.pages import Steps, cli_group_with_meetups, expect_flash, log_in
from tests.servers import HearthServer, clean_env, create_user

pytestmark = pytest.mark.browser

HEADING_LEVELS_JS = (
    "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"
)


def _meetup_link(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def _assert_no_heading_jump(page: Page) -> None:
    levels = page.evaluate(HEADING_LEVELS_JS)
    assert levels and levels[0] == 1, levels
    jumps = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
    assert jumps == [], f"{page.url}: headings jump {jumps} in {levels}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_bugs_found_on_the_readme_path(
    device: str,
    request: pytest.FixtureRequest,
    hearth_server: HearthServer,
    browser: Browser,
    screenshots: Path,
) -> None:
    slug = f"fixers-{device}"
    cli_group_with_meetups(
        hearth_server,
        slug,
        f"Fixers {device.title()}",
        [("Lamp clinic", "public"), ("Seed swap", "public"), ("Tiny table", "public")],
        extra={"Tiny table": {"capacity": 1}},
    )
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"bugs-{device}")
    tab.goto("/")
    log_in(page, ADMIN_USERNAME)

    # The only admin is told how to leave, instead of a "Leave" ending on a bare 409.
    tab.goto(f"/groups/{slug}")
    main = page.get_by_role("main")
    expect(main.get_by_text("You are the only admin. To leave, first make another")).to_be_visible()
    expect(main.get_by_role("button", name="Leave")).to_have_count(0)
    steps.check("only-admin")

    # A group made by `hearth group create` has no coordinates: the form saves as it is.
    main.get_by_role("link", name="Edit group").first.click()
    expect(page.get_by_label("Latitude")).to_have_value("")
    expect(page.get_by_label("Longitude")).to_have_value("")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect_flash(page, "Changes saved.")

    # Destructive buttons ask first; the first click changes nothing.
    tab.goto(f"/groups/{slug}/events")
    _assert_no_heading_jump(page)
    _meetup_link(page, "Lamp clinic")
    meetup_url = page.url
    page.get_by_text("Cancel this meetup…").click()
    question = page.get_by_text("Cancel “Lamp clinic”? Everyone who answered")
    expect(question).to_be_visible()
    steps.check("cancel-asks")
    page.goto(meetup_url)
    expect(page.get_by_text("Cancelled", exact=True)).to_have_count(0)
    page.get_by_text("Cancel this meetup…").click()
    page.get_by_role("button", name="Yes, cancel the meetup").click()
    expect(page.get_by_text("Cancelled", exact=True).first).to_be_visible()

    tab.goto(f"/groups/{slug}/events")
    _meetup_link(page, "Seed swap")
    page.get_by_text("Delete for good…").click()
    page.get_by_role("button", name="Yes, delete it for good").click()
    expect_flash(page, "The meetup was deleted.")
    expect(page.get_by_role("link", name="Seed swap", exact=True)).to_have_count(0)

    # Waitlisted is not "Going": the seat is taken by a neighbor first.
    neighbor = f"walt_{device}"
    create_user(hearth_server.log_path.parent, clean_env(), neighbor)
    other = browser.new_context(viewport=DESKTOP, base_url=hearth_server.base_url)
    try:
        other_page = other.new_page()
        other_page.goto("/")
        log_in(other_page, neighbor)
        other_page.goto(f"/groups/{slug}/events")
        _meetup_link(other_page, "Tiny table")
        other_page.get_by_role("button", name="Going").click()
        expect(other_page.get_by_role("button", name="Going")).to_have_attribute(
            "aria-pressed", "true"
        )
    finally:
        other.close()
    tab.goto(f"/groups/{slug}/events")
    _meetup_link(page, "Tiny table")
    page.get_by_role("button", name="Going").click()
    expect(page.locator("#rsvp").get_by_text("you are #1 on the waitlist")).to_be_visible()
    waiting = page.get_by_role("button", name="On the waitlist")
    expect(waiting).to_have_attribute("aria-pressed", "false")
    rsvp = page.locator("#rsvp")
    expect(rsvp.locator('button[aria-pressed="true"]')).to_have_count(0)
    steps.check("waitlisted")

    tab.goto("/events")
    _assert_no_heading_jump(page)


def test_the_check_in_code_changes_without_reloading_the_page(
    desktop: Tab, hearth_server: HearthServer, screenshots: Path
) -> None:
    [meetup] = cli_group_with_meetups(
        hearth_server, "checkers", "Checkers", [], happening_now="Board games now"
    )
    page = desktop.page
    desktop.goto("/")
    log_in(page, ADMIN_USERNAME)
    desktop.goto(f"/events/{meetup}/check-in")
    expect(page.locator("meta[http-equiv='refresh']")).to_have_count(0)
    figure = page.locator("figure.checkin-qr svg")
    expect(figure).to_be_visible()
    page.evaluate("() => { window.stillHere = true; }")
    link = page.get_by_role("link", name="Who has checked in")
    link.focus()
    with page.expect_response(re.compile(r"/check-in/qr\.svg$"), timeout=40_000) as answer:
        pass
    assert answer.value.status == 200
    page.wait_for_timeout(300)
    expect(figure).to_be_visible()
    # The page was not reloaded under the organizer: same document, focus where it was.
    assert page.evaluate("() => window.stillHere === true")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == (
        "Who has checked in"
    )
    Steps(desktop, screenshots, "checkin").check("qr-refreshed")
