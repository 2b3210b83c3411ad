"""How meetup lists read: a series as one line ("Every Thursday 19:00 · next 10 Dec") instead
of one row per date, and the month grid (a group's or the instance's), as Gancio offers.

Days and times are the meetup's own (its zone); the grid places each meetup on the day it
happens where it happens.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import InvalidInput
from server.models import Event, EventSeries, Group
from server.services.calendar import visible_to_public
from server.services.recurrence import Recurrence, parse_rrule

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ORDINALS = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "-1": "last"}
#: Meetups shown in one month grid at most.
MONTH_LIMIT = 500


@dataclass
class Entry:
    """A line of a meetup list: one meetup, or a series (``events``: its dates listed)."""

    event: Event
    group: Group
    events: list[Event] = field(default_factory=list)
    label: str = ""

    @property
    def is_series(self) -> bool:
        return len(self.events) > 1


def today_in(zone: str) -> date:
    """Today's date in a time zone (the instance's)."""
    return datetime.now(ZoneInfo(zone)).date()


async def entries_of(
    session: AsyncSession, rows: list[tuple[Event, Group]], zone: str, limit: int | None = None
) -> list[Entry]:
    """:func:`collapse_series` for today in ``zone``, keeping the first ``limit`` lines."""
    entries = await collapse_series(session, rows, today_in(zone))
    return entries if limit is None else entries[:limit]


def _day_name(code: str) -> str:
    return DAY_NAMES[_CODES.index(code[-2:])]


def rule_text(rule: Recurrence) -> str:
    """A repeat rule as people say it: "Every Thursday", "Every 2nd Tuesday of the month"."""
    if rule.frequency == "weekly":
        days = " and ".join(_day_name(code) for code in rule.by_day) or "week"
        if rule.interval == 1:
            return f"Every {days}"
        if rule.interval == 2:
            return f"Every other {days}"
        return f"Every {rule.interval} weeks on {days}"
    every = "Every month" if rule.interval == 1 else f"Every {rule.interval} months"
    if rule.by_day:
        code = rule.by_day[0]
        ordinal = _ORDINALS.get(code[:-2], "")
        text = f"Every {ordinal} {_day_name(code)}".replace("  ", " ")
        return text + (" of the month" if rule.interval == 1 else f", every {rule.interval} months")
    if rule.by_month_day == -1:
        return f"{every} on the last day"
    if rule.by_month_day:
        return f"{every} on the {rule.by_month_day}{_suffix(rule.by_month_day)}"
    return every


def _suffix(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def short_day(event: Event, today: date) -> str:
    """The meetup's day where it happens: "10 Dec", with the year when not this year."""
    local = event.starts_at.astimezone(ZoneInfo(event.timezone))
    return f"{local:%-d %b}" if local.year == today.year else f"{local:%-d %b %Y}"


def series_label(rule: Recurrence | None, first: Event, today: date) -> str:
    """ "Every Thursday 19:00 · next 10 Dec" for a series whose next date is ``first``."""
    repeat = rule_text(rule) if rule else "Repeats"
    local = first.starts_at.astimezone(ZoneInfo(first.timezone))
    at = "" if first.all_day else f" {local:%H:%M}"
    return f"{repeat}{at} · next {short_day(first, today)}"


async def collapse_series(
    session: AsyncSession, rows: list[tuple[Event, Group]], today: date
) -> list[Entry]:
    """The rows (in order) with each series' dates gathered on the line of its first one
    (an occurrence retitled on its own keeps a line of its own)."""
    entries: list[Entry] = []
    by_series: dict[tuple[int, str], Entry] = {}
    for event, group in rows:
        key = (event.series_id or 0, event.title)
        if event.series_id is not None and key in by_series:
            by_series[key].events.append(event)
            continue
        entry = Entry(event, group, [event])
        entries.append(entry)
        if event.series_id is not None:
            by_series[key] = entry
    rules = await _rules(session, [sid for (sid, _), e in by_series.items() if e.is_series])
    for (series_id, _), entry in by_series.items():
        if entry.is_series:
            entry.label = series_label(rules.get(series_id), entry.event, today)
    return entries


async def _rules(session: AsyncSession, series_ids: list[int]) -> dict[int, Recurrence]:
    if not series_ids:
        return {}
    found = await session.exec(select(EventSeries).where(col(EventSeries.id).in_(series_ids)))
    rules: dict[int, Recurrence] = {}
    for series in found.all():
        try:
            rules[series.id or 0] = parse_rrule(series.rrule)
        except InvalidInput:
            continue
    return rules


@dataclass(frozen=True)
class Day:
    """A cell of the month grid."""

    day: date
    in_month: bool
    is_today: bool
    meetups: list[tuple[Event, str]]


@dataclass(frozen=True)
class Month:
    """A month grid: weeks of seven days, Monday first."""

    first: date
    weeks: list[list[Day]]
    previous: date
    next: date
    count: int

    @property
    def title(self) -> str:
        return f"{self.first:%B %Y}"


def parse_month(raw: str, today: date) -> date:
    """``YYYY-MM`` (or nothing: this month) as the month's first day; 400 otherwise."""
    if not raw:
        return today.replace(day=1)
    try:
        first = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise InvalidInput("Give the month as YYYY-MM, e.g. 2026-12.", field="month") from None
    if not 1970 <= first.year <= 2200:
        raise InvalidInput("Choose a month between 1970 and 2200.", field="month")
    return first


async def month_grid(
    session: AsyncSession,
    first: date,
    today: date,
    *,
    group: Group | None,
    include_members_only: bool = False,
) -> Month:
    """The month's meetups, day by day (the group's, or every public one of the instance)."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0] - timedelta(days=1), time.min, tzinfo=UTC)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=2), time.min, tzinfo=UTC)
    query = (
        select(Event)
        .join(Group, col(Group.id) == col(Event.group_id))
        .where(col(Event.starts_at) >= start, col(Event.starts_at) < end)
        .where(col(Group.suspended_at).is_(None))
        .order_by(col(Event.starts_at), col(Event.id))
        .limit(MONTH_LIMIT)
    )
    if group is not None:
        query = query.where(Event.group_id == group.id)
        if not include_members_only:
            query = query.where(col(Event.visibility) != "members")
    else:
        query = query.where(visible_to_public(), Group.visibility == "public")
    by_day: dict[date, list[tuple[Event, str]]] = {}
    for event in (await session.exec(query)).all():
        local = event.starts_at.astimezone(ZoneInfo(event.timezone))
        at = "All day" if event.all_day else f"{local:%H:%M}"
        by_day.setdefault(local.date(), []).append((event, at))
    grid = [
        [Day(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week]
        for week in weeks
    ]
    count = sum(len(d.meetups) for week in grid for d in week if d.in_month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(first, grid, previous, following, count)
