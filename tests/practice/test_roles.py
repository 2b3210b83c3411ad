"""Meetup roles on the web: the default roles, volunteering in one click, an organizer
assigning, handing back, who may do what, the holders in the meetup's calendar entry and
the reminder before the meetup."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import icalendar
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.db import session_factory, transaction
from server.models import Notification
from server.services import meetup_roles
from server.services.groups import get_group
from tests.practice.conftest import Club, RunInDb, meetup_at, role_ids
from tests.web import WebClient


async def _notifications(run_in_db: RunInDb, kind: str) -> list[Notification]:
    async def read(session: Any) -> list[Notification]:
        query = select(Notification).where(Notification.kind == kind)
        return list((await session.exec(query)).all())

    return list(await run_in_db(read))


async def test_member_volunteers_hands_back_and_organizer_assigns(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(days=2))
    page = await web.get(f"/events/{event_id}")
    for name in ("Facilitator", "Note-taker", "Greeter", "Timekeeper"):
        assert f'<span class="role-name">{name}</span>' in page.text
    roles = await role_ids(web, run_in_db, event_id)
    await club.add_member("ana")
    await club.add_member("bo")

    # Ana volunteers in one click.
    await club.sign_in("ana")
    path = f"/events/{event_id}"
    taken = await web.post_form(f"{path}/roles/{roles['Facilitator']}/volunteer", csrf_from=path)
    assert taken.status_code == 303
    page = await web.get(path)
    assert '<span class="role-name">Facilitator</span>:\n      <strong class="role-holder">ana' in (
        page.text
    )
    # Bo cannot take a role someone holds; a missing CSRF token is refused.
    await club.sign_in("bo")
    clash = await web.post_form(f"{path}/roles/{roles['Facilitator']}/volunteer", csrf_from=path)
    assert clash.status_code == 409 and "already holds the Facilitator role" in clash.text
    no_csrf = await web.post_form(
        f"{path}/roles/{roles['Greeter']}/volunteer", csrf_from=path, with_csrf=False
    )
    assert no_csrf.status_code == 403
    # Bo cannot hand back Ana's role.
    refused = await web.post_form(f"{path}/roles/{roles['Facilitator']}/hand-back", csrf_from=path)
    assert refused.status_code == 403 and "Only the holder or an organizer" in refused.text

    # The organizer assigns the note-taker to Bo; an unknown name is a 400 with the reason.
    await club.sign_in("organizer")
    assigned = await web.post_form(
        f"{path}/roles/{roles['Note-taker']}/assign", {"username": "bo"}, csrf_from=path
    )
    assert assigned.status_code == 303
    unknown = await web.post_form(
        f"{path}/roles/{roles['Greeter']}/assign", {"username": "nobody"}, csrf_from=path
    )
    assert unknown.status_code == 400 and "is not a member of this group" in unknown.text

    # The calendar entry names the holders.
    ics = await web.get(f"/events/{event_id}.ics")
    [vevent] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert "Roles: Facilitator: ana · Note-taker: bo · Greeter: open · Timekeeper: open" in str(
        vevent["DESCRIPTION"]
    )

    # Outside the group, who holds a role is not told (as the attendee list is not).
    await web.logout()
    [anonymous] = icalendar.Calendar.from_ical(
        (await web.get(f"/events/{event_id}.ics")).content
    ).walk("VEVENT")
    assert "Roles:" not in str(anonymous.get("DESCRIPTION", ""))
    public_page = (await web.get(path)).text
    assert "role-holder" not in public_page and public_page.count('<span class="badge">taken') == 2

    # Ana hands her role back: it is open again.
    await web.login("ana")
    back = await web.post_form(f"{path}/roles/{roles['Facilitator']}/hand-back", csrf_from=path)
    assert back.status_code == 303
    page = await web.get(path)
    assert 'aria-label="Take the Facilitator role"' in page.text

    # Someone who is not a member cannot take a role.
    await web.logout()
    await web.login_as_new("stranger")
    outsider = await web.post_form(f"{path}/roles/{roles['Greeter']}/volunteer", csrf_from=path)
    assert outsider.status_code == 403 and "Only members" in outsider.text


async def test_roles_of_a_meetup_that_is_over_do_not_change(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(days=-3))
    roles = await role_ids(web, run_in_db, event_id)
    path = f"/events/{event_id}"
    late = await web.post_form(f"{path}/roles/{roles['Greeter']}/volunteer", csrf_from=path)
    assert late.status_code == 400 and "This meetup is over" in late.text


async def test_holders_are_reminded_before_the_meetup_once(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(hours=5))
    roles = await role_ids(web, run_in_db, event_id)
    path = f"/events/{event_id}"
    await web.post_form(f"{path}/roles/{roles['Timekeeper']}/volunteer", csrf_from=path)
    worker = runtime_of(web.app).worker
    await worker.run_periodic(force=True)
    await worker.run_periodic(force=True)
    reminders = await _notifications(run_in_db, "role_reminder")
    assert [n.text for n in reminders] == [
        f"Reminder: you are timekeeper at “Repair café”, {reminders[0].text.split('”, ')[1]}"
    ]
    assert reminders[0].link == path


async def test_organizers_add_rename_and_remove_roles(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    page = await web.get("/groups/club/roles")
    assert page.status_code == 200 and "Timekeeper" in page.text
    roles = await role_ids(web, run_in_db, await meetup_at(web, run_in_db, starts_in=timedelta(1)))
    form = "/groups/club/roles"
    added = await web.post_form(form, {"action": "add", "name": "Snacks"}, csrf_from=form)
    assert added.status_code == 303
    twice = await web.post_form(form, {"action": "add", "name": "snacks"}, csrf_from=form)
    assert twice.status_code == 409 and "already has a role called “Snacks”" in twice.text
    renamed = await web.post_form(
        form,
        {"action": "rename", "role_id": str(roles["Greeter"]), "name": "Welcomer"},
        csrf_from=form,
    )
    assert renamed.status_code == 303
    removed = await web.post_form(
        form, {"action": "remove", "role_id": str(roles["Timekeeper"])}, csrf_from=form
    )
    assert removed.status_code == 303
    empty = await web.post_form(form, {"action": "add", "name": "  "}, csrf_from=form)
    assert empty.status_code == 400 and "Give the role a name." in empty.text
    page = await web.get(form)
    assert "Welcomer" in page.text and "Snacks" in page.text and "Timekeeper" not in page.text
    # Members may not edit the roles.
    await club.add_member("ana")
    refused = await web.post_form(form, {"action": "add", "name": "Chair"}, csrf_from=form)
    assert refused.status_code == 403


async def test_first_visits_at_once_create_the_default_roles_once(
    club: Club, web: WebClient, app: Any
) -> None:
    async def visit() -> list[str]:
        async with transaction(session_factory(runtime_of(app).engine)) as session:
            group = await get_group(session, "club")
            return [role.name for role in await meetup_roles.group_roles(session, group)]

    first, second = await asyncio.gather(visit(), visit())
    assert first == second == ["Facilitator", "Note-taker", "Greeter", "Timekeeper"]
