"""An organizer moves a group between two running Hearth servers in a real browser: download
the archive from the old one, import it on the new one (its meetup arrives), announce the
move, and the old group page then opens the new one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import ADMIN_USERNAME, PHONE, Tab
from tests.browser.pages import Steps, cli_group_with_meetups, expect_flash, log_in
from tests.servers import HearthServer, clean_env, create_user, free_port, run_hearth, serve

pytestmark = pytest.mark.browser


def _start(workdir: Path) -> Iterator[HearthServer]:
    workdir.mkdir()
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true",
    )
    run_hearth(workdir, env, "migrate")
    create_user(workdir, env, ADMIN_USERNAME, admin=True)
    with serve(workdir, env, port) as running:
        yield running


@pytest.fixture
def old_server(tmp_path: Path) -> Iterator[HearthServer]:
    yield from _start(tmp_path / "old")


@pytest.fixture
def new_server(tmp_path: Path) -> Iterator[HearthServer]:
    yield from _start(tmp_path / "new")


def _signed_in(
    context: BrowserContext, server: HearthServer, screenshots: Path, prefix: str, path: str
) -> tuple[Tab, Steps]:
    """A tab signed in as the admin at ``path``, with its screenshot steps."""
    tab = Tab(context, server.base_url)
    tab.goto("/")
    log_in(tab.page, ADMIN_USERNAME)
    tab.goto(path)
    return tab, Steps(tab, screenshots, prefix)


def test_an_organizer_moves_a_group_to_another_server(
    browser: Browser,
    old_server: HearthServer,
    new_server: HearthServer,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    cli_group_with_meetups(old_server, "club", "Book Club", [("Repair café", "public")])
    archive = tmp_path / "club.json"
    old = browser.new_context(viewport=PHONE, base_url=old_server.base_url)
    new = browser.new_context(viewport=PHONE, base_url=new_server.base_url)
    for context in (old, new):
        context.set_default_timeout(15_000)
    try:
        tab, steps = _signed_in(old, old_server, screenshots, "group-move", "/groups/club/edit")
        page = tab.page
        page.get_by_role("link", name="Move or download the group").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Move Book Club to another server"
        )
        steps.check("move-page")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the archive").click()
        download.value.save_as(archive)

        there, new_steps = _signed_in(new, new_server, screenshots, "group-import", "/groups/new")
        new_page = there.page
        new_page.get_by_role("link", name="Import its archive").click()
        expect(new_page.get_by_role("heading", level=1)).to_have_text("Import a group")
        new_steps.check("form")
        new_page.get_by_label("Group archive (.json)").set_input_files(archive)
        new_page.get_by_role("button", name="Import the group").click()
        expect(new_page).to_have_url(re.compile(r"/groups/club$"))
        expect_flash(new_page, "Imported Book Club")
        there.goto("/groups/club/events")
        expect(new_page.get_by_role("main")).to_contain_text("Repair café")
        new_steps.check("imported")

        page.get_by_label("Address of the new group").fill(f"{new_server.base_url}/groups/club")
        page.get_by_role("button", name="Move the group").click()
        expect_flash(page, "moved to")
        steps.check("moved")
        tab.goto("/groups/club")
        expect(page).to_have_url(f"{new_server.base_url}/groups/club")
    finally:
        old.close()
        new.close()
