"""What a neighbor does in a real browser: sign up, log in, start a group and find it again.

Every page visited is screenshotted under tests/screenshots/ and checked for inputs without
an accessible label, for horizontal scrolling and for Content-Security-Policy violations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import FOCUS_RING_JS, Steps, create_group, expect_flash, log_in
from tests.servers import PASSWORD, HearthServer

pytestmark = pytest.mark.browser


def search(page: Page, field: str, value: str) -> None:
    """Fill one directory filter (others cleared) and submit the search form."""
    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_label(field, exact=True).fill(value)
    page.get_by_role("button", name="Search", exact=True).click()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_sign_up_start_a_group_and_find_it(
    device: str, request: pytest.FixtureRequest, hearth_server: HearthServer, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"journey-{device}")
    username, slug = f"nina_{device}", f"repair-{device}"
    town = f"{device.title()}ville"
    name, place, tag = f"Repair Café {device.title()}", f"Old Mill Lane, {town}", f"fixit-{device}"

    tab.goto("/")
    steps.check("home")
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill("Nina Okafor")
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    steps.check("signup-filled")
    page.get_by_role("button", name="Create account").click()
    expect_flash(page, "Welcome to Riverside Commons, Nina Okafor!")
    steps.check("signed-up")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation", name="Account").get_by_text("Log in")).to_be_visible()
    steps.check("logged-out")
    log_in(page, username)
    steps.check("logged-in")

    create_group(
        page,
        slug,
        name,
        summary="We fix **toasters, bikes and jackets** together.\n\nFirst Saturdays, 10:00.",
        place=place,
        tags=f"repair, {tag}",
    )
    expect_flash(page, f"{name} is ready")
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(main.locator("strong", has_text="toasters, bikes and jackets")).to_be_visible()
    expect(main.get_by_text(f"@{slug}@{hearth_server.domain}").first).to_be_visible()
    expect(main.get_by_text(place)).to_be_visible()
    expect(main.get_by_role("link", name=f"#{tag}")).to_be_visible()
    expect(main.get_by_text("You are an admin")).to_be_visible()
    steps.check("group-page")

    search(page, "Tag", tag)
    expect(page.get_by_text("1 group found")).to_be_visible()
    expect(main.get_by_role("link", name=name)).to_be_visible()
    steps.check("search-by-tag")

    search(page, "Place", town)
    expect(page.get_by_text("1 group found")).to_be_visible()
    steps.check("search-by-place")
    main.get_by_role("link", name=name).click()
    expect(page).to_have_url(re.compile(f"/groups/{slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    steps.check("opened-from-directory")

    search(page, "Name or topic", "no such group anywhere")
    expect(page.get_by_text("0 groups found")).to_be_visible()
    expect(main.get_by_text("No group matches yet")).to_be_visible()
    steps.check("search-empty")


def test_sign_up_with_the_keyboard_only(phone: Tab, screenshots: Path) -> None:
    page = phone.page
    steps = Steps(phone, screenshots, "keyboard")
    phone.goto("/signup")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username")).to_be_focused()
    assert page.evaluate(FOCUS_RING_JS), "the focused field shows no focus ring"
    steps.check("focus-on-username")

    for label, text in [
        ("Username", "kim_keys"),
        ("Display name", "Kim Keys"),
        ("Email", "kim@example.org"),
        ("Password", PASSWORD),
    ]:
        expect(page.get_by_label(label)).to_be_focused()
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create account")).to_be_focused()
    assert page.evaluate(FOCUS_RING_JS), "the submit button shows no focus ring"
    steps.check("focus-on-submit")
    page.keyboard.press("Enter")
    expect_flash(page, "Welcome to Riverside Commons, Kim Keys!")
    steps.check("signed-up")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_every_page_labels_its_fields_and_fits(
    device: str, request: pytest.FixtureRequest, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    steps = Steps(tab, screenshots, f"tour-{device}")
    slug = f"seed-swap-{device}"
    for path, name in [
        ("/signup", "signup"),
        ("/login", "login"),
        ("/reset", "reset-request"),
        ("/reset/not-a-token", "reset-bad-link"),
        ("/about", "about"),
        ("/about/instances", "instances"),
    ]:
        tab.goto(path)
        steps.check(name)

    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(
        page,
        slug,
        f"Seed Swap {device.title()}",
        summary="Bring seeds, take seeds.",
        place="Elm Street",
        tags="gardening, seeds",
    )
    for path, name in [
        ("/", "home"),
        (f"/groups/{slug}", "group"),
        (f"/groups/{slug}/edit", "group-edit"),
        (f"/groups/{slug}/members", "members"),
        ("/groups/new", "group-new"),
        ("/me/groups", "my-groups"),
        (f"/users/{ADMIN_USERNAME}", "user"),
        ("/groups/no-such-group", "not-found"),
        ("/admin", "admin-settings"),
        ("/admin/users", "admin-users"),
        ("/admin/signups", "admin-signups"),
        ("/admin/invites", "admin-invites"),
        ("/admin/federation", "admin-federation"),
        ("/admin/reports", "admin-reports"),
        ("/admin/groups", "admin-groups"),
        ("/admin/audit", "admin-audit"),
        (f"/groups/{slug}/review", "group-review"),
        ("/report?actor=https://peer.example/users/x", "report"),
        ("/me/calendar", "my-calendar"),
    ]:
        tab.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        steps.check(name)
