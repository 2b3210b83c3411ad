"""A meetup run as practice grounds, in a real browser: the organizer takes open roles,
builds and orders the agenda (with its running total), then writes and publishes the
minutes prefilled from the agenda, and finds them in the group's minutes archive — on a
phone and on a desktop, each page checked for labels, sideways scrolling and CSP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import Steps, create_group, expect_flash, log_in
from tests.servers import HearthServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_meetup_from_open_roles_to_published_minutes(
    device: str, request: pytest.FixtureRequest, hearth_server: HearthServer, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"practice-{device}")
    slug = f"circle-{device}"

    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(page, slug, "Speaking Circle", summary="We practice.", place="Lyon", tags="talk")

    # A meetup on now (the instance's zone is UTC): begun five minutes ago, two hours long.
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = min(start + timedelta(hours=2), start.replace(hour=23, minute=59))
    page.goto(f"/groups/{slug}/events/new")
    page.get_by_label("Title").fill("Circle night")
    page.get_by_label(re.compile(r"^Date\b")).fill(start.date().isoformat())
    page.get_by_label("Starts at").fill(start.strftime("%H:%M"))
    page.get_by_label("Ends at").fill(end.strftime("%H:%M"))
    page.get_by_role("button", name="Publish meetup").click()
    expect_flash(page, "Meetup published.")
    length = int(
        (
            end.replace(second=0, microsecond=0) - start.replace(second=0, microsecond=0)
        ).total_seconds()
        // 60
    )

    # Open roles: four of them; the organizer volunteers as facilitator and note-taker.
    roles = page.get_by_role("region", name="Roles")
    expect(roles.locator(".role-slot")).to_have_count(4)
    expect(roles.get_by_text("open", exact=True)).to_have_count(4)
    steps.check("open-roles")
    roles.get_by_role("button", name="Take the Facilitator role").click()
    expect_flash(page, "The role is yours.")
    page.get_by_role("region", name="Roles").get_by_role(
        "button", name="Take the Note-taker role"
    ).click()
    expect_flash(page, "The role is yours.")
    roles = page.get_by_role("region", name="Roles")
    expect(roles.locator(".role-holder")).to_have_count(2)
    expect(roles.get_by_role("button", name="Hand back the Facilitator role")).to_be_visible()

    # The agenda: two items, the second moved first, the total against the meetup's length.
    for title, minutes in (("Welcome round", "10"), ("Two-minute talks", "45")):
        agenda = page.get_by_role("region", name="Agenda")
        agenda.get_by_label("Item", exact=True).fill(title)
        agenda.get_by_label("Minutes wanted").fill(minutes)
        agenda.get_by_role("button", name="Add to the agenda").click()
        expect_flash(page, "Added to the agenda.")
    agenda = page.get_by_role("region", name="Agenda")
    expect(agenda.locator(".agenda-title")).to_have_text(["Welcome round", "Two-minute talks"])
    expect(agenda.get_by_text(f"55 of {length} minutes planned")).to_be_visible()
    steps.check("agenda")
    agenda.get_by_role("button", name="Move “Two-minute talks” up").click()
    expect_flash(page, "Agenda updated.")
    agenda = page.get_by_role("region", name="Agenda")
    agenda.get_by_label("Minutes for “Welcome round”").fill("15")
    agenda.get_by_role("button", name="Set the time of “Welcome round”").click()
    expect_flash(page, "Agenda updated.")
    agenda = page.get_by_role("region", name="Agenda")
    expect(agenda.locator(".agenda-title")).to_have_text(["Two-minute talks", "Welcome round"])
    expect(agenda.get_by_text(f"60 of {length} minutes planned")).to_be_visible()
    steps.check("agenda-ordered")

    # The minutes, prefilled with the agenda, published to the members.
    page.get_by_role("link", name="Write the minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes of Circle night")
    body = page.get_by_label("Minutes (Markdown)")
    expect(body).to_have_value(re.compile(r"1\. \*\*Two-minute talks\*\*.*45 min", re.DOTALL))
    expect(body).to_have_value(re.compile(r"## Decisions"))
    steps.check("minutes-form")
    page.get_by_label("Summary").fill("Six talks, all under two minutes.")
    body.fill(body.input_value() + "\nEveryone spoke at least once.\n")
    page.get_by_role("button", name="Publish the minutes").click()
    expect_flash(page, "Minutes published to the group's members.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes: Circle night")
    expect(page.get_by_text("Everyone spoke at least once.")).to_be_visible()
    steps.check("minutes")

    page.goto(f"/groups/{slug}")
    page.get_by_role("main").get_by_role("link", name="Minutes", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes")
    expect(page.get_by_role("link", name="Minutes: Circle night")).to_be_visible()
    expect(page.get_by_role("link", name="Export as Markdown")).to_be_visible()
    steps.check("archive")
