"""The "Import a calendar" page without a network: an organizer uploads an .ics file once
(its meetups appear, floating times in the chosen zone), a broken file is refused with its
reason and imports nothing, members who are not organizers are turned away, and removing the
import cancels its upcoming meetups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.models import CalendarImport, Event
from tests.calendar_imports.calendar_server import calendar, vevent
from tests.events.conftest import Organizer
from tests.web import WebClient

PAGE = "/groups/club/calendar-imports"


def _floating(days: int) -> str:
    start = (datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=days)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:floating@club",
            "DTSTAMP:20261201T000000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%S}",
            "SUMMARY:Karaoke",
            "END:VEVENT",
        ]
    )


async def _all(web: WebClient, model: type) -> list:
    async with runtime_of(web.app).sessions() as session:
        return list((await session.exec(select(model))).all())


async def test_upload_once_then_remove(organizer: Organizer, web: WebClient) -> None:
    start = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=6)).replace(
        hour=18, minute=0, second=0, microsecond=0, tzinfo=None
    )
    data = calendar(vevent("talk@club", start, "Author talk"), _floating(8), name="Our dates")
    response = await web.post_form(
        f"{PAGE}/upload",
        {"timezone": "Asia/Tokyo"},
        csrf_from=PAGE,
        files={"file": ("our-dates.ics", data.encode(), "text/calendar")},
    )
    assert response.status_code == 303, response.text
    page = await web.get(PAGE)
    assert "Imported “Our dates”: 2 new" in page.text
    assert "File our-dates.ics, imported once" in page.text and "Read now" not in page.text
    events = {event.title: event for event in await _all(web, Event)}
    assert events["Karaoke"].timezone == "Asia/Tokyo"
    assert events["Karaoke"].starts_at.astimezone(ZoneInfo("Asia/Tokyo")).hour == 19
    assert events["Author talk"].timezone == "Europe/Paris"
    event_page = await web.get(f"/events/{events['Author talk'].id}")
    assert "the file our-dates.ics" in event_page.text
    assert "Detach from the calendar" not in event_page.text  # a file is never read again

    [item] = await _all(web, CalendarImport)
    response = await web.post_form(f"{PAGE}/{item.id}/delete", {}, csrf_from=PAGE)
    assert response.status_code == 303
    assert {event.status for event in await _all(web, Event)} == {"cancelled"}
    assert await _all(web, CalendarImport) == []


async def test_a_broken_file_is_refused_whole(organizer: Organizer, web: WebClient) -> None:
    good = vevent("ok@club", datetime(2030, 1, 1, 19), "Fine")
    broken = calendar(good, "BEGIN:VEVENT\r\nUID:bad@club\r\nSUMMARY:No date\r\nEND:VEVENT")
    response = await web.post_form(
        f"{PAGE}/upload",
        {"timezone": "Europe/Paris"},
        csrf_from=PAGE,
        files={"file": ("broken.ics", broken.encode(), "text/calendar")},
    )
    assert response.status_code == 422
    assert "The event bad@club has no DTSTART." in response.text
    assert await _all(web, Event) == [] and await _all(web, CalendarImport) == []
    response = await web.post_form(
        f"{PAGE}/upload",
        {"timezone": "Europe/Paris"},
        csrf_from=PAGE,
        files={"file": ("page.ics", b"<html>Sign in</html>", "text/html")},
    )
    assert response.status_code == 422 and "not an iCalendar file" in response.text


async def test_only_organizers_import(organizer: Organizer, web: WebClient) -> None:
    await web.logout()
    assert (await web.get(PAGE)).status_code == 303  # to the login page
    await web.login_as_new("member")
    await web.post_form("/groups/club/join", {}, csrf_from="/groups/club")
    assert (await web.get(PAGE)).status_code == 403
    assert "Import a calendar" not in (await web.get("/groups/club/events")).text
