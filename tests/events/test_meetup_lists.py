"""Meetups first (issue #16 §3): the menu reaches Meetups and My calendar, the public home page
lists upcoming meetups, a month grid (instance and group), a series as one line that
expands, and dates with the year and zone only when they differ from here and now."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

from server.services.meetup_lists import rule_text
from server.services.recurrence import Recurrence
from tests.events.conftest import Organizer
from tests.web import WebClient


def flat(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def cell(page: str, day: int) -> str:
    """The text of the current month's cell for ``day`` in a month grid."""
    cells = re.findall(r'<td class="month-day(?! is-other-month)[^"]*"[^>]*>(.*?)</td>', page, re.S)
    for content in cells:
        number = re.search(r'<span class="month-day-name">\w+ </span>(\d+)<', content)
        if number and int(number.group(1)) == day:
            return flat(content)
    raise AssertionError(f"no cell for day {day}")


async def test_the_menu_reaches_meetups_and_my_calendar(web: WebClient) -> None:
    anonymous = (await web.get("/")).text
    assert '<a href="/events">Meetups</a>' in anonymous and "/me/calendar" not in anonymous
    await web.login_as_new("alice")
    page = (await web.get("/events")).text
    assert '<a href="/events" aria-current="page">Meetups</a>' in page
    assert '<a href="/me/calendar">My calendar</a>' in page and '<a href="/home">Home</a>' in page


async def test_the_month_grid_places_meetups_on_their_local_day(
    organizer: Organizer, web: WebClient
) -> None:
    first = await organizer.create_event_id(title="Spring swap", start_date="2030-05-04")
    await organizer.create_event_id(
        title="Late owls",
        start_date="2030-05-09",
        start_time="23:30",
        end_time="23:59",
        timezone="America/Los_Angeles",  # 10 May in UTC, 9 May where it happens
    )
    await organizer.create_event_id(
        title="Members' dinner", start_date="2030-05-20", visibility="members"
    )

    page = (await web.get("/events/month?month=2030-05")).text
    assert "<caption" in page and "May 2030</caption>" in page
    assert "<h1" in page and "Meetups in May 2030" in flat(page)
    assert f'href="/events/{first}"' in page and "14:00 Spring swap" in cell(page, 4)
    assert "23:30 Late owls" in cell(page, 9) and "Late owls" not in cell(page, 10)
    assert "Members' dinner" not in page  # members-only: not on the instance's grid
    assert (
        'href="/events/month?month=2030-04"' in page
        and 'href="/events/month?month=2030-06"' in page
    )
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in page

    group_grid = (await web.get("/groups/club/events/month?month=2030-05")).text
    assert "Members&#39; dinner" in group_grid or "Members' dinner" in group_grid  # a member
    await web.logout()
    stranger = (await web.get("/groups/club/events/month?month=2030-05")).text
    assert "Spring swap" in stranger and "dinner" not in stranger
    empty = (await web.get("/events/month?month=2031-02")).text
    assert "No meetups in February 2031." in flat(empty)


async def test_a_bad_month_is_a_400_with_the_reason(web: WebClient) -> None:
    for bad in ("2030-13", "May", "1800-01"):
        response = await web.get(f"/events/month?month={bad}")
        assert response.status_code == 400, bad
        assert "YYYY-MM" in response.text or "between 1970 and 2200" in response.text
    assert (await web.get("/groups/nope/events/month")).status_code == 404
    this_month = (await web.get("/events/month")).text
    assert 'aria-current="date"' in this_month


async def test_a_series_is_one_line_that_opens_to_its_dates(
    organizer: Organizer, web: WebClient
) -> None:
    await organizer.create_event_id(
        title="Weekly blitz",
        start_date="2030-01-10",
        start_time="19:00",
        end_time="21:00",
        repeat="weekly",
        weekday_TH="on",
        count="20",
    )
    await organizer.create_event_id(title="Spring swap", start_date="2030-05-04")
    for path in ("/groups/club/events", "/events", "/"):
        page = (await web.get(path)).text
        titles = re.findall(r'class="event-item-title"><a href="/events/\d+">([^<]+)</a>', page)
        assert titles.count("Weekly blitz") == 1, path
        assert "Spring swap" in titles, path
        details = page[page.index('<details class="series-dates">') :]
        details = details[: details.index("</details>")]
        summary = flat(details[: details.index("</summary>")])
        assert summary.strip() == "Every Thursday 19:00 · next 10 Jan 2030 (20 dates)", path
        assert len(re.findall(r'<li><a href="/events/\d+">', details)) == 20
        assert "Thu 17 Jan 2030, 19:00–21:00 (Europe/Paris)" in html.unescape(details)


def test_repeat_rules_read_as_people_say_them() -> None:
    assert rule_text(Recurrence("weekly", by_day=("TH",))) == "Every Thursday"
    assert rule_text(Recurrence("weekly", 2, ("MO",))) == "Every other Monday"
    assert rule_text(Recurrence("weekly", by_day=("TU", "TH"))) == "Every Tuesday and Thursday"
    assert rule_text(Recurrence("monthly", by_day=("2TU",))) == "Every 2nd Tuesday of the month"
    assert rule_text(Recurrence("monthly", by_day=("-1FR",))) == "Every last Friday of the month"
    assert rule_text(Recurrence("monthly", by_month_day=21)) == "Every month on the 21st"
    assert rule_text(Recurrence("monthly", 3, by_month_day=-1)) == "Every 3 months on the last day"


async def test_dates_show_the_year_and_zone_only_when_they_differ(
    organizer: Organizer, web: WebClient
) -> None:
    soon = datetime.now(UTC).date() + timedelta(days=3)
    here = await organizer.create_event_id(
        title="Here and now", start_date=soon.isoformat(), timezone="UTC"
    )
    away = await organizer.create_event_id(title="Far away", start_date="2030-05-04")
    page = html.unescape((await web.get(f"/events/{here}")).text)
    day = f"{soon:%a} {soon.day} {soon:%b}"
    expected = f"{day}, 14:00–17:00" if soon.year == date.today().year else f"{day} {soon.year}"
    assert expected in page
    assert "(UTC)" not in flat(page.split("<main", 1)[1])
    far = html.unescape((await web.get(f"/events/{away}")).text)
    assert "Sat 4 May 2030, 14:00–17:00 (Europe/Paris)" in far
