"""In a real browser: an organizer starts a group and is asked whose posts it shares, the
group page says it, and a #hashtag in an announcement leads to the tag page — on a phone
and a desktop, each page checked for labels, sideways scrolling and CSP violations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import Steps, expect_flash, log_in
from tests.servers import HearthServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_posting_policy_is_asked_and_shown_and_hashtags_lead_to_their_page(
    device: str, request: pytest.FixtureRequest, hearth_server: HearthServer, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"posting-{device}")
    slug = f"quilters-{device}"

    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    page.get_by_role("main").get_by_role("link", name="Start a group").first.click()
    policy = page.get_by_role("group", name="Whose posts the group shares with its followers")
    expect(policy.get_by_role("radio", name=re.compile("^Usual for who can join"))).to_be_checked()
    steps.check("group-form")
    page.get_by_label(re.compile(r"^Name\b")).fill("Quilters")
    page.get_by_label("Handle").fill(slug)
    policy.get_by_role("radio", name=re.compile("^Moderated")).check()
    page.get_by_role("button", name="Create group").click()
    expect(page).to_have_url(re.compile(f"/groups/{slug}$"))
    expect(page.get_by_text("Shares posts after moderator review")).to_be_visible()

    page.get_by_label("New announcement").fill(f"Fabric swap on Sunday #Swap{device}")
    page.get_by_role("button", name="Post", exact=True).click()
    expect_flash(page, "Posted.")
    steps.check("group-page")
    page.get_by_role("link", name=f"#Swap{device}").click()
    expect(page).to_have_url(re.compile(f"/tags/swap{device}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#swap{device}")
    expect(page.get_by_text("Fabric swap on Sunday")).to_be_visible()
    steps.check("tag-page")
