"""Meetup agendas on the web: members add items, organizers and the facilitator order them
and set their times, the running total is measured against the meetup's length, an item
can point to a proposal, and bad input is a 400 with the reason."""

from __future__ import annotations

from datetime import timedelta

from tests.practice.conftest import Club, RunInDb, meetup_at, role_ids
from tests.web import WebClient


def _titles(html: str) -> list[str]:
    return [part.split("</strong>")[0] for part in html.split('<strong class="agenda-title">')[1:]]


async def test_members_add_items_and_the_facilitator_orders_them(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    proposal_id = await club.open_proposal()
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(days=2), hours=1)
    path = f"/events/{event_id}"
    roles = await role_ids(web, run_in_db, event_id)
    await club.add_member("ana")
    await club.add_member("bo")

    await club.sign_in("ana")
    added = await web.post_form(
        f"{path}/agenda",
        {
            "title": "Thursdays?",
            "note": "The choir clash",
            "minutes": "20",
            "proposal_id": str(proposal_id),
        },
        csrf_from=path,
    )
    assert added.status_code == 303
    await web.post_form(
        f"{path}/agenda",
        {"title": "Welcome round", "presenter": "Bo and Cy", "minutes": "15"},
        csrf_from=path,
    )
    page = await web.get(path)
    assert _titles(page.text) == ["Thursdays?", "Welcome round"]
    assert "brought by ana" in page.text and "brought by Bo and Cy" in page.text
    assert f'href="/groups/club/proposals/{proposal_id}">Move the meetup to Thursdays?' in page.text
    assert "35 of 60 minutes planned" in page.text

    # Bad input: a 400 saying why.
    for data, reason in (
        ({"title": "", "minutes": "5"}, "Give the agenda item a title."),
        ({"title": "Snacks", "minutes": "0"}, "Minutes are from 1 to 600."),
        ({"title": "Snacks", "minutes": "ten"}, "Enter a whole number."),
        ({"title": "Snacks", "proposal_id": "999"}, "That proposal is not one of this group"),
    ):
        refused = await web.post_form(f"{path}/agenda", data, csrf_from=path)
        assert refused.status_code == 400 and reason in refused.text, data

    # Ana is not yet the facilitator: she may not order the agenda.
    assert f'action="{path}/agenda/' not in page.text  # members see no ordering controls
    await club.sign_in("organizer")
    page = await web.get(path)
    first_id, second_id = (
        int(part.split('"')[0]) for part in page.text.split(f'action="{path}/agenda/')[1:]
    )
    await club.sign_in("ana")
    refused = await web.post_form(f"{path}/agenda/{second_id}", {"action": "up"}, csrf_from=path)
    assert refused.status_code == 403 and "organizers and the facilitator" in refused.text

    # Once she holds the facilitator role she may: the welcome round goes first, 50 minutes.
    await web.post_form(f"{path}/roles/{roles['Facilitator']}/volunteer", csrf_from=path)
    moved = await web.post_form(f"{path}/agenda/{second_id}", {"action": "up"}, csrf_from=path)
    assert moved.status_code == 303
    timed = await web.post_form(
        f"{path}/agenda/{second_id}", {"action": "minutes", "minutes": "50"}, csrf_from=path
    )
    assert timed.status_code == 303
    page = await web.get(path)
    assert _titles(page.text) == ["Welcome round", "Thursdays?"]
    assert "70 of 60 minutes: 10 over" in page.text

    # Bo may remove neither item (not his, not the facilitator); the organizer may.
    await club.sign_in("bo")
    refused = await web.post_form(f"{path}/agenda/{first_id}", {"action": "remove"}, csrf_from=path)
    assert refused.status_code == 403
    await club.sign_in("organizer")
    removed = await web.post_form(f"{path}/agenda/{first_id}", {"action": "remove"}, csrf_from=path)
    assert removed.status_code == 303
    page = await web.get(path)
    assert _titles(page.text) == ["Welcome round"] and "50 of 60 minutes planned" in page.text
