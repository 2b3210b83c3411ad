"""Organizers choose when attendees are reminded: in the meetup form and through the API."""

from __future__ import annotations

import typing
from typing import Any

from server.api.events import RemindMinutes
from server.services.reminders import REMIND_CHOICES
from tests.events.conftest import FORM, Organizer
from tests.events.test_events_api import MEETUP, _token
from tests.web import WebClient


def selected(page: str) -> str:
    """The value of the reminder option the form shows selected."""
    select = page.split('name="remind_minutes"')[1].split("</select>")[0]
    return select.split(" selected>")[0].rsplit('value="', 1)[1].split('"')[0]


async def test_the_form_offers_reminders_a_day_before_by_default(
    organizer: Organizer, web: WebClient
) -> None:
    page = await web.get("/groups/club/events/new")
    assert '<label for="remind_minutes">Remind attendees</label>' in page.text
    assert selected(page.text) == "1440"

    event_id = await organizer.create_event_id(remind_minutes="180")
    edit = await web.get(f"/events/{event_id}/edit")
    assert selected(edit.text) == "180"
    changed = await web.post_form(
        f"/events/{event_id}/edit",
        {**FORM, "remind_minutes": "0"},
        csrf_from=f"/events/{event_id}/edit",
    )
    assert changed.status_code == 303
    assert selected((await web.get(f"/events/{event_id}/edit")).text) == "0"


async def test_a_made_up_reminder_time_is_refused(organizer: Organizer, web: WebClient) -> None:
    for value in ("7", "-60", "soon"):
        response = await organizer.create_event(remind_minutes=value)
        assert response.status_code == 400, value
        assert 'id="remind_minutes-error"' in response.text or "Enter a number." in response.text
    assert "Repair café" not in (await web.get("/groups/club/events")).text


async def test_the_api_reads_and_changes_the_reminder_time(
    organizer: Organizer, web: WebClient
) -> None:
    auth = await _token(web, "organizer")
    default = await web.client.post("/api/v1/groups/club/events", json=MEETUP, headers=auth)
    assert default.json()["remind_minutes"] == 1440
    body: dict[str, Any] = {**MEETUP, "remind_minutes": 60}
    created = await web.client.post("/api/v1/groups/club/events", json=body, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["remind_minutes"] == 60
    path = created.headers["location"]
    changed = await web.client.patch(path, json={"remind_minutes": 2880}, headers=auth)
    assert changed.json()["remind_minutes"] == 2880
    for wrong in (7, None, "1 day"):
        refused = await web.client.patch(path, json={"remind_minutes": wrong}, headers=auth)
        assert refused.status_code == 400, (wrong, refused.text)
    assert (await web.client.get(path)).json()["remind_minutes"] == 2880


def test_the_api_offers_the_same_choices_as_the_form() -> None:
    assert typing.get_args(RemindMinutes) == REMIND_CHOICES
