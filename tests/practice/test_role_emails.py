""" "Your turn?" and role reminders by email, through a real SMTP server on 127.0.0.1: sent to
members who keep the "Meetup roles" category on (the default), not to those who turned it off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from server.activitypub.runtime import runtime_of
from server.config import Settings
from tests.conftest import SettingsMaker
from tests.mailbox import Mailbox, running_mailbox
from tests.practice.conftest import Club, RunInDb, checked_in, meetup_at, role_ids
from tests.web import WebClient


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def settings(settings_for: SettingsMaker, mailbox: Mailbox) -> Settings:
    return settings_for(smtp=mailbox.smtp_settings())


async def test_your_turn_and_role_reminders_are_emailed(
    club: Club, web: WebClient, run_in_db: RunInDb, mailbox: Mailbox
) -> None:
    await club.add_member("ana")
    await club.add_member("bo")
    await club.sign_in("organizer")
    past = await meetup_at(web, run_in_db, starts_in=timedelta(days=-7))
    await checked_in(run_in_db, past, "ana", "bo")
    # Bo does not want role emails.
    await club.sign_in("bo")
    settings_page = "/me/notifications"
    page = await web.get(settings_page)
    assert "Meetup roles" in page.text, page.text[:500]
    kept = [
        key
        for key in ("attendance", "reminders", "meetup_changes", "membership")
        if f'value="{key}"' in page.text
    ]
    saved = await web.post_form(settings_page, {"email": kept}, csrf_from=settings_page)
    assert saved.status_code == 303

    await club.sign_in("organizer")
    soon = await meetup_at(web, run_in_db, starts_in=timedelta(hours=5), title="Soon")
    roles = await role_ids(web, run_in_db, soon)
    await web.post_form(f"/events/{soon}/roles/ask", csrf_from=f"/events/{soon}")
    await web.post_form(
        f"/events/{soon}/roles/{roles['Greeter']}/volunteer", csrf_from=f"/events/{soon}"
    )
    await runtime_of(web.app).worker.run_periodic(force=True)
    await runtime_of(web.app).worker.run_periodic(force=True)

    subjects = sorted(str(message["Subject"]) for message in mailbox.to("ana@example.org"))
    assert subjects == ["Your turn? Facilitator at Soon"]
    assert mailbox.to("bo@example.org") == []
    assert [str(m["Subject"]) for m in mailbox.to("organizer@example.org")] == [
        "Reminder: you are greeter at Soon"
    ]
