"""A group decides in a real browser: an organizer opens a proposal, votes, changes the vote,
and finds the decisions log — on a phone and on a desktop, each page checked for labels,
sideways scrolling and CSP violations."""

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
def test_a_member_opens_a_proposal_and_votes(
    device: str, request: pytest.FixtureRequest, hearth_server: HearthServer, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"decisions-{device}")
    slug = f"garden-{device}"

    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(page, slug, "Community Garden", summary="We grow.", place="Lyon", tags="garden")
    page.get_by_role("main").get_by_role("link", name="Proposals").click()
    steps.check("proposals-empty")
    page.get_by_role("main").get_by_role("link", name="New proposal").first.click()
    steps.check("proposal-form")
    page.get_by_label("Question").fill("Plant tomatoes by the fence?")
    page.get_by_label("Details").fill("They need *sun*; the fence faces south.")
    page.get_by_label(re.compile("^Quorum \\(votes\\)")).fill("1")
    closes = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label(re.compile("^Voting closes")).fill(closes)
    page.get_by_role("button", name="Open the vote").click()
    expect_flash(page, "Proposal opened")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plant tomatoes by the fence?")
    steps.check("proposal")

    page.get_by_label("Disagree").check()
    page.get_by_role("button", name="Vote").click()
    expect_flash(page, "Your vote is counted.")
    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Change my vote").click()
    expect_flash(page, "Your vote is counted.")
    expect(page.get_by_label("Agree", exact=True)).to_be_checked()
    expect(page.get_by_text("1 of 1 eligible have voted.")).to_be_visible()
    steps.check("voted")

    tab.goto(f"/groups/{slug}/decisions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Decisions")
    expect(page.get_by_role("link", name="Export as Markdown")).to_be_visible()
    steps.check("decisions")
