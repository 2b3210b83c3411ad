"""An organizer's first minutes on a brand-new instance, in a real browser: the home page
offers /setup, the one-time code from the server's console makes the first admin; then a
neighbor signs up (approval mode), is told plainly that their account waits, and the admin
sees them on a pending sign-ups page without blank gaps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, PHONE, Tab
from tests.browser.pages import Steps, create_group, expect_flash, log_in
from tests.servers import PASSWORD, HearthServer, clean_env, free_port, run_hearth, serve

pytestmark = pytest.mark.browser

CODE_RE = re.compile(r"enter this one-time code to create the admin account:\s+(\S+)")
#: The largest vertical blank between the things one sees in each sign-up row (the innermost
#: elements with text, and buttons): stretched boxes hide blank bands from a box check.
ROW_GAPS_JS = """() => [...document.querySelectorAll('li.signup')].map(row => {
  const seen = [...row.querySelectorAll('*')]
    .filter(el => el.matches('button, summary') ||
                  (el.children.length === 0 && el.textContent.trim()))
    .map(el => el.getBoundingClientRect()).filter(box => box.height > 0)
    .sort((a, b) => a.top - b.top);
  let gap = seen.length ? seen[0].top - row.getBoundingClientRect().top : 0;
  for (let i = 1; i < seen.length; i++) {
    const above = Math.max(...seen.slice(0, i).map(box => box.bottom));
    gap = Math.max(gap, seen[i].top - above);
  }
  return [gap, row.getBoundingClientRect().height];
})"""


@pytest.fixture(scope="module")
def new_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HearthServer]:
    """``hearth serve`` in an empty directory: no account at all, sign-ups approved by admins."""
    workdir = tmp_path_factory.mktemp("new-instance")
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_INSTANCE_NAME="Millbrook Commons",
        HEARTH_INSTANCE_REGISTRATION="approval",
        HEARTH_INSTANCE_TIMEZONE="America/Chicago",  # not UTC: times must stay as entered
    )
    run_hearth(workdir, env, "migrate")
    with serve(workdir, env, port) as server:
        yield server


def _tab(browser: Browser, server: HearthServer, phone: bool) -> Tab:
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, base_url=server.base_url)
    context.set_default_timeout(10_000)
    return Tab(context, server.base_url)


def test_first_admin_then_a_pending_neighbor(
    browser: Browser, new_instance: HearthServer, screenshots: Path
) -> None:
    organizer = _tab(browser, new_instance, phone=False)
    neighbor = _tab(browser, new_instance, phone=True)
    try:
        page = organizer.page
        steps = Steps(organizer, screenshots, "setup-desktop")
        organizer.goto("/")
        page.get_by_role("link", name="Set up Millbrook Commons: create the admin account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up Millbrook Commons")
        assert axe_violations(page) == []
        steps.check("setup-form")
        code_match = CODE_RE.search(new_instance.log_path.read_text())
        assert code_match, new_instance.log_path.read_text()
        page.get_by_label("Setup code").fill("wrong-code-here")
        page.get_by_label("Username").fill("rosa")
        page.get_by_label("Display name").fill("Rosa Diaz")
        page.get_by_label("Email").fill("rosa@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create the admin account").click()
        expect(page.get_by_role("alert")).to_contain_text("This is not the setup code")
        steps.check("setup-wrong-code")
        page.get_by_label("Setup code").fill(code_match.group(1))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create the admin account").click()
        expect_flash(page, "Welcome, Rosa Diaz! You are the admin of this instance")
        expect(page).to_have_url(re.compile("/admin$"))
        steps.check("admin-after-setup")
        organizer.goto("/setup")
        expect(page).to_have_url(re.compile("/login$|/$"))

        # A neighbor signs up; the account waits for approval, and the login says so plainly.
        them = neighbor.page
        neighbor.goto("/signup")
        them.get_by_label("Username").fill("pat")
        them.get_by_label("Display name").fill("Pat Quinn")
        them.get_by_label("Email").fill("pat@example.org")
        them.get_by_label("Password").fill(PASSWORD)
        them.get_by_label("Why do you want to join?").fill(
            "I live on Mill Street and would like to join the repair café."
        )
        them.get_by_role("button", name="Create account").click()
        them.get_by_label("Username or email").fill("pat")
        them.get_by_label("Password").fill(PASSWORD)
        them.get_by_role("button", name="Log in").click()
        alert = them.get_by_role("alert")
        expect(alert).to_have_text("Your account is waiting for an admin's approval.")
        Steps(neighbor, screenshots, "setup-phone").check("pending-login")

        # The admin's pending sign-ups page: each row without a blank band in it.
        organizer.goto("/admin/signups")
        expect(page.get_by_text("I live on Mill Street")).to_be_visible()
        for gap, height in page.evaluate(ROW_GAPS_JS):
            assert gap <= 24, f"a {gap:.0f} px blank gap in a sign-up row ({height:.0f} px)"
        steps.check("pending-signups")
        assert axe_violations(page) == []
    finally:
        organizer.context.close()
        neighbor.context.close()


def test_proposal_times_and_the_audit_log_read_as_entered(
    browser: Browser, new_instance: HearthServer, screenshots: Path
) -> None:
    """(After the setup above: Rosa is the admin.) A proposal's closing time shows in the
    zone it was typed in; the audit log says what changed in the settings, old → new."""
    tab = _tab(browser, new_instance, phone=True)
    try:
        page = tab.page
        steps = Steps(tab, screenshots, "zone-phone")
        tab.goto("/")
        log_in(page, "rosa")
        create_group(
            page,
            "tool-library",
            "Tool Library",
            summary="Lend a drill.",
            place="Millbrook",
            tags="tools",
        )
        tab.goto("/groups/tool-library/proposals/new")
        page.get_by_label("Question").fill("Open on Sundays?")
        closes = page.get_by_label("Voting closes (America/Chicago)")
        day = page.evaluate("() => new Date(Date.now() + 20 * 864e5).toISOString().slice(0, 10)")
        closes.fill(f"{day}T18:30")
        page.get_by_role("button", name="Open the vote").click()
        expect(
            page.get_by_role("main").get_by_text("18:30 (America/Chicago)").first
        ).to_be_visible()
        expect(page.get_by_role("main").get_by_text("UTC")).to_have_count(0)
        steps.check("proposal")

        tab.goto("/admin")
        page.get_by_label("Description").fill("Millbrook's groups and meetups.")
        page.get_by_role("button", name="Save settings").click()
        expect_flash(page, "Instance settings saved.")
        tab.goto("/admin/audit")
        row = page.locator("tbody tr").filter(has_text="instance.settings")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(
            "description: “Groups and meetups for our neighborhood.” → "
            "“Millbrook's groups and meetups.”"
        )
        expect(row).not_to_contain_text("registration")
        steps.check("audit-log")
    finally:
        tab.context.close()
