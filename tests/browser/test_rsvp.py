"""Answering a meetup in a real browser: the organizer publishes a one-seat meetup, clicks
Going (the seat), sees the attendee list with the CSV link, then changes to Can't go — on a
phone and on a desktop, each page checked for labels, sideways scrolling and CSP."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import Steps, create_group, expect_flash, log_in
from tests.servers import HearthServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_an_organizer_answers_and_changes_the_answer(
    device: str, request: pytest.FixtureRequest, hearth_server: HearthServer, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"rsvp-{device}")
    slug = f"choir-{device}"

    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(page, slug, "Neighbourhood Choir", summary="We sing.", place="Lyon", tags="music")
    page.get_by_role("main").get_by_role("link", name="New meetup").click()
    page.get_by_label("Title").fill("Open rehearsal")
    page.get_by_label(re.compile(r"^Date\b")).fill((date.today() + timedelta(days=10)).isoformat())
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_label("Ends at").fill("21:00")
    page.get_by_label("Capacity").fill("1")
    page.get_by_role("button", name="Publish meetup").click()
    expect_flash(page, "Meetup published.")
    expect(page.get_by_role("heading", name="Are you coming?")).to_be_visible()
    steps.check("meetup")

    page.get_by_role("button", name="Going").click()
    expect_flash(page, "You're going to “Open rehearsal”")
    expect(page.get_by_role("button", name="Going")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("Full: new answers join the waitlist")).to_be_visible()
    attendees = page.get_by_role("region", name="Who's coming")
    expect(attendees.get_by_text(f"@{ADMIN_USERNAME}")).to_be_visible()
    expect(attendees.get_by_role("link", name="Download the list (CSV)")).to_be_visible()
    steps.check("going")

    page.get_by_role("button", name="Can't go").click()
    expect_flash(page, "Noted: you can't make it")
    expect(page.get_by_role("button", name="Can't go")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("1 place left")).to_be_visible()
    steps.check("not-going")
