"""axe-core finds no violation on the main pages, on a phone and on a desktop, for a visitor
and for a signed-in organizer (who also sees the forms, the admin pages and the check-in)."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations
from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import cli_group_with_meetups, log_in
from tests.servers import HearthServer

pytestmark = pytest.mark.browser

SLUG = "axe-club"
PUBLIC_PAGES = [
    "/",
    "/events",
    "/events?tag=neighbors",
    f"/groups/{SLUG}",
    f"/groups/{SLUG}/events",
    f"/groups/{SLUG}/events?past=1",
    "/events/month",
    f"/groups/{SLUG}/events/month",
    "/login",
    "/signup",
    "/reset",
    "/about",
    "/about/instances",
    f"/embed/groups/{SLUG}",
    f"/embed/groups/{SLUG}?screen=1",
    "/embed/events",
    "/no-such-page",
]
MEMBER_PAGES = [
    "/me/groups",
    "/home",
    "/me/calendar",
    "/notifications",
    "/me/notifications",
    "/groups/new",
    f"/groups/{SLUG}/edit",
    f"/groups/{SLUG}/move",
    "/groups/import",
    f"/groups/{SLUG}/members",
    f"/groups/{SLUG}/proposals",
    f"/groups/{SLUG}/proposals/new",
    f"/groups/{SLUG}/decisions",
    f"/groups/{SLUG}/attendance",
    f"/groups/{SLUG}/events/new",
    f"/groups/{SLUG}/review",
    "/admin",
    "/admin/users",
    "/admin/signups",
    "/admin/groups",
    "/admin/federation",
    "/admin/audit",
    "/admin/reports",
]


@pytest.fixture(scope="module")
def axe_meetups(hearth_server: HearthServer) -> list[int]:
    return cli_group_with_meetups(
        hearth_server,
        SLUG,
        "Axe Club",
        [("Open evening", "public"), ("Members talk", "members")],
        happening_now="Repair night",
    )


def _check(tab: Tab, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        tab.goto(path)
        tab.page.wait_for_load_state("load")
        violations = axe_violations(tab.page)
        if violations:
            found[path] = violations
    return found


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_no_axe_violation_on_the_main_pages(
    device: str, request: pytest.FixtureRequest, axe_meetups: list[int]
) -> None:
    tab: Tab = request.getfixturevalue(device)
    event_pages = [f"/events/{event_id}" for event_id in axe_meetups]
    found = _check(tab, [*PUBLIC_PAGES, event_pages[0]])
    tab.goto("/")
    log_in(tab.page, ADMIN_USERNAME)
    found |= {
        f"{path} (signed in)": violations
        for path, violations in _check(
            tab,
            [
                *MEMBER_PAGES,
                *event_pages,
                f"/events/{axe_meetups[0]}/edit",
                f"/events/{axe_meetups[-1]}/check-in",  # going on now: the QR code
                f"/events/{axe_meetups[-1]}/attendance",
                "/",
                "/events",
            ],
        ).items()
    }
    assert found == {}, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)
