"""Wall-clock times in IANA zones, with daylight-saving gaps and overlaps handled explicitly.

A meetup is planned in local time ("Tuesdays at 19:00 in Europe/Paris"); it is stored in
UTC plus its zone. A local time that does not exist (the hour skipped when clocks go
forward) is refused with a message saying so; a local time that happens twice (the hour
repeated when clocks go back) is taken at its first occurrence, as calendar apps do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date

from server.errors import InvalidInput
from server.i18n import _, get_locale
from server.i18n_format import format_clock, format_day, join_day_and_time
from server.inputs import is_iana_zone


class NonexistentLocalTime(InvalidInput):
    """The local time falls in a daylight-saving gap."""


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called ``name``, or InvalidInput."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise InvalidInput(_("Choose a time zone such as Europe/Paris."), field=field)
    if not is_iana_zone(name):  # not ``localtime`` or other files of the zoneinfo folder
        raise InvalidInput(_("“%(name)s” is not a known time zone.") % {"name": name}, field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            _("“%(name)s” is not a known time zone.") % {"name": name}, field=field
        ) from None


def _long_date(day: datetime) -> str:
    """ "31 March 2030" in English; each other language's long date ("31. März 2030")."""
    language = get_locale()
    return format_date(day, "d MMMM y" if language == "en" else "long", locale=language)


def local_to_utc(local: datetime, tz: ZoneInfo, *, field: str = "start") -> datetime:
    """Convert a naive wall-clock time in ``tz`` to aware UTC (gaps refused, overlaps: first)."""
    if local.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive wall-clock datetime")
    first = local.replace(tzinfo=tz, fold=0)
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != local:
        shifted = (first.astimezone(UTC)).astimezone(tz).strftime("%H:%M")
        raise NonexistentLocalTime(
            _(
                "%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward "
                "that night. Choose another time (for example %(shifted)s)."
            )
            % {
                "time": f"{local:%H:%M}",
                "date": _long_date(local),
                "zone": tz.key,
                "shifted": shifted,
            },
            field=field,
        )
    return first.astimezone(UTC)


def utc_to_local(moment: datetime, tz_name: str) -> datetime:
    """An aware UTC datetime as aware local time in the named zone."""
    return moment.astimezone(ZoneInfo(tz_name))


def common_timezones() -> list[str]:
    """Zone names to offer in forms (Area/City names, sorted)."""
    return sorted(
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )


def event_when(event: Any, home_zone: str = "", today: datetime | None = None) -> str:
    """When a meetup happens, in its own zone and the active language: "Tue 17 Mar 2026,
    19:00–21:00 (Europe/Paris)", "mar. 17 mars 2026, 19:00–21:00 (Europe/Paris)".

    Given the instance's zone (``home_zone``) and the current moment (``today``), the year is
    left out for dates of this year and the zone when it is the instance's own."""
    tz = ZoneInfo(event.timezone)
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    with_year = not (today is not None and today.astimezone(tz).year == start.year == end.year)
    zone_label = "" if event.timezone == home_zone else f" ({event.timezone})"
    if event.all_day:
        last = datetime.combine((end - timedelta(days=1)).date(), start.timetz())
        span = (
            format_day(start, with_year=with_year)
            if last.date() == start.date()
            else f"{format_day(start, with_year=False)} – {format_day(last, with_year=with_year)}"
        )
        return _("%(span)s (all day)") % {"span": span}
    if end.date() == start.date():
        hours = f"{format_clock(start)}–{format_clock(end)}"
        return join_day_and_time(format_day(start, with_year=with_year), hours) + zone_label
    first = f"{format_day(start, with_year=with_year)} {format_clock(start)}"
    last_moment = f"{format_day(end, with_year=with_year)} {format_clock(end)}"
    return f"{first} – {last_moment}{zone_label}"
