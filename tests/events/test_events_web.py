"""Organizers create, edit and cancel meetups in the web UI; people find them in calendars."""

from __future__ import annotations

from tests.events.conftest import Organizer
from tests.web import WebClient


async def test_a_meetup_page_shows_when_in_its_zone_and_where(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id()
    page = await web.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert "Sat 4 May 2030, 14:00–17:00 (Europe/Paris)" in page.text
    assert "Community hall" in page.text
    assert "openstreetmap.org/?mlat=45.76&amp;mlon=4.83" in page.text
    assert "<strong>broken lamps</strong>" in page.text
    assert f"/events/{event_id}.ics" in page.text


async def test_a_time_skipped_by_daylight_saving_is_explained_in_the_form(
    organizer: Organizer,
) -> None:
    response = await organizer.create_event(
        start_date="2030-03-31", start_time="02:30", end_time="04:00"
    )
    assert response.status_code == 400
    assert "02:30 does not exist on 31 March 2030 in Europe/Paris" in response.text
    assert 'value="Repair café"' in response.text  # what was typed is kept


async def test_a_weekly_series_has_a_page_per_meetup_at_the_same_local_time(
    organizer: Organizer, web: WebClient
) -> None:
    response = await organizer.create_event(
        start_date="2030-03-19",
        start_time="19:00",
        end_time="21:00",
        repeat="weekly",
        weekday_TU="on",
        count="3",
    )
    assert response.status_code == 303
    calendar = await web.get("/groups/club/events")
    assert calendar.text.count("19:00–21:00 (Europe/Paris)") == 3
    assert "Tue 19 Mar 2030" in calendar.text and "Tue 2 Apr 2030" in calendar.text


async def test_editing_one_meetup_of_a_series_leaves_the_others(
    organizer: Organizer, web: WebClient
) -> None:
    await organizer.create_event(
        start_date="2030-03-19", repeat="weekly", weekday_TU="on", count="2"
    )
    calendar = await web.get("/groups/club/events")
    ids = [
        int(part.split('"')[0])
        for part in calendar.text.split('href="/events/')[1:]
        if part[0].isdigit()
    ]
    first = ids[0]
    edit = await web.post_form(
        f"/events/{first}/edit",
        {
            **_form_without_repeat(),
            "title": "Special edition",
            "start_date": "2030-03-19",
            "scope": "this",
        },
        csrf_from=f"/events/{first}/edit",
    )
    assert edit.status_code == 303
    calendar = await web.get("/groups/club/events")
    assert calendar.text.count("Special edition") == 1
    assert calendar.text.count("Repair café") == 1


def _form_without_repeat() -> dict[str, str]:
    from tests.events.conftest import FORM

    return {key: value for key, value in FORM.items() if key != "repeat"}


async def test_cancelling_keeps_the_meetup_listed_as_cancelled(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id()
    response = await web.post_form(
        f"/events/{event_id}/cancel", {}, csrf_from=f"/events/{event_id}"
    )
    assert response.status_code == 303
    page = await web.get(f"/events/{event_id}")
    assert "Cancelled" in page.text and "<s>Repair café</s>" in page.text


async def test_members_only_meetups_stay_hidden_from_others(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id(visibility="members")
    await web.logout()
    assert (await web.get(f"/events/{event_id}")).status_code == 404
    assert "Repair café" not in (await web.get("/events")).text
    assert "Repair café" not in (await web.get("/groups/club/events.ics")).text


async def test_instance_wide_list_filters_by_group_tag_and_date(
    organizer: Organizer, web: WebClient
) -> None:
    await organizer.create_event_id(title="Lamp clinic", tags="lamps")
    await organizer.create_event_id(title="Bike day", tags="bikes", start_date="2030-06-01")
    everything = await web.get("/events")
    assert "Lamp clinic" in everything.text and "Bike day" in everything.text
    by_tag = await web.get("/events?tag=bikes")
    assert "Bike day" in by_tag.text and "Lamp clinic" not in by_tag.text
    by_date = await web.get("/events?from=2030-05-10")
    assert "Bike day" in by_date.text and "Lamp clinic" not in by_date.text
    by_group = await web.get("/events?group=nothere")
    assert "Bike day" not in by_group.text


async def test_only_organizers_may_create_meetups(organizer: Organizer, web: WebClient) -> None:
    await web.logout()
    await web.login_as_new("neighbor")
    await web.post_form("/groups/club/join", {}, csrf_from="/groups/club")
    response = await web.get("/groups/club/events/new")
    assert response.status_code == 403


async def test_flyers_carry_a_qr_code_and_the_fediverse_handle(
    organizer: Organizer, web: WebClient
) -> None:
    event_id = await organizer.create_event_id()
    for path in ("/groups/club/flyer", f"/events/{event_id}/flyer"):
        flyer = await web.get(path)
        assert flyer.status_code == 200
        assert "<svg" in flyer.text and "@club@localhost:8000" in flyer.text


async def test_a_cover_image_is_shown_and_federated(organizer: Organizer, web: WebClient) -> None:
    from tests.events.conftest import FORM

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    token = await web.csrf("/groups/club/events/new")
    response = await web.client.post(
        "/groups/club/events/new",
        data={**FORM, "csrf_token": token},
        files={"cover": ("cover.png", png, "image/png")},
    )
    assert response.status_code == 303, response.text
    event_id = int(response.headers["location"].rsplit("/", 1)[1])
    page = await web.get(f"/events/{event_id}")
    src = page.text.split('class="event-cover" src="')[1].split('"')[0]
    assert (await web.get(src)).content == png
    document = (
        await web.get(f"/events/{event_id}", headers={"Accept": "application/activity+json"})
    ).json()
    assert document["image"]["url"].endswith(src)


async def test_a_cover_that_is_not_an_image_is_refused_and_nothing_is_created(
    organizer: Organizer, web: WebClient
) -> None:
    from tests.events.conftest import FORM

    token = await web.csrf("/groups/club/events/new")
    response = await web.client.post(
        "/groups/club/events/new",
        data={**FORM, "csrf_token": token},
        files={"cover": ("cover.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert response.status_code == 400
    assert "PNG, JPEG, GIF or WebP" in response.text
    assert "Repair café" not in (await web.get("/groups/club/events")).text
