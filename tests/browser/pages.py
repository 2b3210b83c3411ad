"""Helpers shared by the browser tests: checked screenshots, logging in, starting a group.

``Steps.check`` is the per-page check every browser test runs on what it visits: a full-page
screenshot under tests/screenshots/, no form field without an accessible label, no sideways
scrolling and no Content-Security-Policy violation reported so far.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.servers import PASSWORD, HearthServer, clean_env, run_hearth

UNLABELED_FIELDS_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => ![...(el.labels || [])].some(label => label.textContent.trim())
             && !(el.getAttribute('aria-label') || '').trim())
  .map(el => el.outerHTML.slice(0, 160))"""
WIDTHS_JS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
FOCUS_RING_JS = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
}"""


class Steps:
    """Numbered, checked screenshots of one test's pages."""

    def __init__(self, tab: Tab, directory: Path, prefix: str) -> None:
        self.tab = tab
        self.directory = directory
        self.prefix = prefix
        self.count = 0

    def check(self, name: str) -> None:
        """Screenshot the page, then check labels, horizontal scroll and CSP reports."""
        page = self.tab.page
        page.wait_for_load_state("load")
        self.count += 1
        label = f"{self.prefix}-{self.count:02d}-{name}"
        page.screenshot(path=self.directory / f"{label}.png", full_page=True)
        unlabeled = page.evaluate(UNLABELED_FIELDS_JS)
        assert unlabeled == [], f"{label}: form fields without an accessible label: {unlabeled}"
        scroll_width, inner_width = page.evaluate(WIDTHS_JS)
        assert scroll_width <= inner_width, (
            f"{label}: scrolls sideways ({scroll_width} > {inner_width} px)"
        )
        assert self.tab.csp_errors == [], f"{label}: CSP violations: {self.tab.csp_errors}"


def expect_flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def log_in(page: Page, username: str) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect_flash(page, "Welcome back")


def create_group(page: Page, slug: str, name: str, *, summary: str, place: str, tags: str) -> None:
    page.get_by_role("main").get_by_role("link", name="Start a group").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a group")
    page.get_by_label(re.compile(r"^Name\b")).fill(name)
    page.get_by_label("Handle").fill(slug)
    page.get_by_label("Summary").fill(summary)
    page.get_by_label("Place").fill(place)
    page.get_by_label("Tags").fill(tags)
    page.get_by_role("button", name="Create group").click()
    expect(page).to_have_url(re.compile(f"/groups/{slug}$"))


def cli_group_with_meetups(
    server: HearthServer,
    slug: str,
    name: str,
    meetups: list[tuple[str, str]],
    *,
    happening_now: str = "",
    extra: dict[str, dict[str, object]] | None = None,
    about: tuple[str, ...] = (),
) -> list[int]:
    """A group made with ``hearth group create`` (owner: the admin) and meetups posted
    through the API with a ``hearth token create`` token: (title, visibility) each, on
    consecutive days of May 2031, plus one going on right now if ``happening_now`` names
    it (for check-in); ``extra`` adds API fields by title (e.g. a capacity), ``about`` more
    ``group create`` options. Returns the meetups' ids."""
    workdir = server.log_path.parent
    env = clean_env(HEARTH_INSTANCE_DOMAIN=server.domain)
    run_hearth(
        workdir, env, "group", "create", slug, "--name", name, "--owner", ADMIN_USERNAME, *about
    )
    token = run_hearth(workdir, env, "token", "create", ADMIN_USERNAME).strip()
    ids = []
    bodies = [
        {
            "title": title,
            "start": f"2031-05-{day}T19:00",
            "end": f"2031-05-{day}T21:00",
            "visibility": visibility,
        }
        for day, (title, visibility) in enumerate(meetups, start=10)
    ]
    if happening_now:
        now = datetime.now(UTC).replace(second=0, microsecond=0, tzinfo=None)
        start, end = now - timedelta(minutes=10), now + timedelta(hours=2)
        bodies.append({"title": happening_now, "start": start.isoformat(), "end": end.isoformat()})
    for body_fields in bodies:
        body = {
            "timezone": "Europe/Paris" if "T19:00" in body_fields["start"] else "UTC",
            "venue_name": "Wash & Go, 3 Mill Street",
            "visibility": "public",
            "tags": ["neighbors"],
            **body_fields,
            **(extra or {}).get(str(body_fields["title"]), {}),
        }
        response = httpx.post(
            f"{server.base_url}/api/v1/groups/{slug}/events",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
        ids.append(int(response.json()["id"]))
    return ids
