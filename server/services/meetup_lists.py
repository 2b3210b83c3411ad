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

from babel.dates import format_date, format_skeleton, get_day_names
from babel.lists import format_list
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import InvalidInput
from server.i18n import _, get_locale, ngettext
from server.models import Event, EventSeries, Group
from server.services.calendar import visible_to_public
from server.services.recurrence import Recurrence, parse_rrule

_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
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


def day_names() -> list[str]:
    """Monday to Sunday in the active language (the month grid's column heads)."""
    names = get_day_names("wide", locale=get_locale())
    return [str(names[index]) for index in range(7)]


def _day_name(code: str) -> str:
    """A day's name in the active language ("Thursday", "jeudi", "Donnerstag")."""
    return str(get_day_names("wide", locale=get_locale())[_CODES.index(code[-2:])])


def _weekly_text(rule: Recurrence) -> str:
    if not rule.by_day:
        if rule.interval == 1:
            return _("Every week")
        if rule.interval == 2:
            return _("Every other week")
        return ngettext("Every %(num)s week", "Every %(num)s weeks", rule.interval) % {
            "num": rule.interval
        }
    days = format_list([_day_name(code) for code in rule.by_day], locale=get_locale())
    if rule.interval == 1:
        return _("Every %(days)s") % {"days": days}
    if rule.interval == 2:
        return _("Every other %(days)s") % {"days": days}
    return ngettext(
        "Every %(num)s week on %(days)s", "Every %(num)s weeks on %(days)s", rule.interval
    ) % {"num": rule.interval, "days": days}


def _nth_weekday_text(code: str, interval: int) -> str:
    """ "Every 2nd Tuesday of the month" (or ", every 3 months"): whole sentences per ordinal,
    since languages inflect the ordinal and the day together."""
    day, ordinal = _day_name(code), code[:-2]
    if interval == 1:
        monthly = {
            "1": _("Every 1st %(day)s of the month"),
            "2": _("Every 2nd %(day)s of the month"),
            "3": _("Every 3rd %(day)s of the month"),
            "4": _("Every 4th %(day)s of the month"),
            "-1": _("Every last %(day)s of the month"),
        }
        text = monthly.get(ordinal, _("Every %(day)s of the month"))
        return text % {"day": day}
    spaced = {
        "1": ngettext(
            "Every 1st %(day)s, every %(num)s month",
            "Every 1st %(day)s, every %(num)s months",
            interval,
        ),
        "2": ngettext(
            "Every 2nd %(day)s, every %(num)s month",
            "Every 2nd %(day)s, every %(num)s months",
            interval,
        ),
        "3": ngettext(
            "Every 3rd %(day)s, every %(num)s month",
            "Every 3rd %(day)s, every %(num)s months",
            interval,
        ),
        "4": ngettext(
            "Every 4th %(day)s, every %(num)s month",
            "Every 4th %(day)s, every %(num)s months",
            interval,
        ),
        "-1": ngettext(
            "Every last %(day)s, every %(num)s month",
            "Every last %(day)s, every %(num)s months",
            interval,
        ),
    }
    text = spaced.get(
        ordinal,
        ngettext(
            "Every %(day)s, every %(num)s month", "Every %(day)s, every %(num)s months", interval
        ),
    )
    return text % {"day": day, "num": interval}


def _english_suffix(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _month_day_text(day: int, interval: int) -> str:
    """ "Every month on the 21st": one message per English ordinal ending, so each language
    words the day its own way ("le 21", "am 21.")."""
    values = {"num": interval, "day": day}
    suffix = _english_suffix(day)
    if interval == 1:
        monthly = {
            "st": _("Every month on the %(day)sst"),
            "nd": _("Every month on the %(day)snd"),
            "rd": _("Every month on the %(day)srd"),
            "th": _("Every month on the %(day)sth"),
        }
        return monthly[suffix] % values
    spaced = {
        "st": ngettext(
            "Every %(num)s month on the %(day)sst",
            "Every %(num)s months on the %(day)sst",
            interval,
        ),
        "nd": ngettext(
            "Every %(num)s month on the %(day)snd",
            "Every %(num)s months on the %(day)snd",
            interval,
        ),
        "rd": ngettext(
            "Every %(num)s month on the %(day)srd",
            "Every %(num)s months on the %(day)srd",
            interval,
        ),
        "th": ngettext(
            "Every %(num)s month on the %(day)sth",
            "Every %(num)s months on the %(day)sth",
            interval,
        ),
    }
    return spaced[suffix] % values


def _monthly_text(rule: Recurrence) -> str:
    if rule.by_day:
        return _nth_weekday_text(rule.by_day[0], rule.interval)
    values = {"num": rule.interval, "day": rule.by_month_day}
    if rule.by_month_day == -1:
        if rule.interval == 1:
            return _("Every month on the last day")
        return (
            ngettext(
                "Every %(num)s month on the last day",
                "Every %(num)s months on the last day",
                rule.interval,
            )
            % values
        )
    if rule.by_month_day:
        return _month_day_text(rule.by_month_day, rule.interval)
    if rule.interval == 1:
        return _("Every month")
    return ngettext("Every %(num)s month", "Every %(num)s months", rule.interval) % values


def rule_text(rule: Recurrence) -> str:
    """A repeat rule as people say it: "Every Thursday", "Every 2nd Tuesday of the month"."""
    return _weekly_text(rule) if rule.frequency == "weekly" else _monthly_text(rule)


def short_day(event: Event, today: date) -> str:
    """The meetup's day where it happens: "10 Dec", with the year when not this year."""
    local = event.starts_at.astimezone(ZoneInfo(event.timezone))
    language = get_locale()
    if language == "en":
        return f"{local:%-d %b}" if local.year == today.year else f"{local:%-d %b %Y}"
    skeleton = "MMMd" if local.year == today.year else "yMMMd"
    return format_skeleton(skeleton, local, locale=language)


def series_label(rule: Recurrence | None, first: Event, today: date) -> str:
    """ "Every Thursday 19:00 · next 10 Dec" for a series whose next date is ``first``."""
    repeat = rule_text(rule) if rule else _("Repeats")
    local = first.starts_at.astimezone(ZoneInfo(first.timezone))
    values = {"repeat": repeat, "time": f"{local:%H:%M}", "day": short_day(first, today)}
    if first.all_day:
        return _("%(repeat)s · next %(day)s") % values
    return _("%(repeat)s %(time)s · next %(day)s") % values


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
    rules = await _rules(session, [sid for (sid, _title), e in by_series.items() if e.is_series])
    for (series_id, _title), entry in by_series.items():
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
        title = format_date(self.first, "LLLL y", locale=get_locale())
        return title[:1].upper() + title[1:]


def parse_month(raw: str, today: date) -> date:
    """``YYYY-MM`` (or nothing: this month) as the month's first day; 400 otherwise."""
    if not raw:
        return today.replace(day=1)
    try:
        first = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise InvalidInput(_("Give the month as YYYY-MM, e.g. 2026-12."), field="month") from None
    if not 1970 <= first.year <= 2200:
        raise InvalidInput(_("Choose a month between 1970 and 2200."), field="month")
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
        at = _("All day") if event.all_day else f"{local:%H:%M}"
        by_day.setdefault(local.date(), []).append((event, at))
    grid = [
        [Day(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week]
        for week in weeks
    ]
    count = sum(len(d.meetups) for week in grid for d in week if d.in_month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(first, grid, previous, following, count)
