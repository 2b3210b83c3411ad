"""Wall-clock times in IANA zones, with daylight-saving gaps and overlaps handled explicitly.

A meetup is planned in local time ("Tuesdays at 19:00 in Europe/Paris"); it is stored in
UTC plus its zone. A local time that does not exist (the hour skipped when clocks go
forward) is refused with a message saying so; a local time that happens twice (the hour
repeated when clocks go back) is taken at its first occurrence, as calendar apps do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from server.errors import InvalidInput
from server.inputs import is_iana_zone


class NonexistentLocalTime(InvalidInput):
    """The local time falls in a daylight-saving gap."""


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called ``name``, or InvalidInput."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise InvalidInput("Choose a time zone such as Europe/Paris.", field=field)
    if not is_iana_zone(name):  # not ``localtime`` or other files of the zoneinfo folder
        raise InvalidInput(f"“{name}” is not a known time zone.", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"“{name}” is not a known time zone.", field=field) from None


def local_to_utc(local: datetime, tz: ZoneInfo, *, field: str = "start") -> datetime:
    """Convert a naive wall-clock time in ``tz`` to aware UTC (gaps refused, overlaps: first)."""
    if local.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive wall-clock datetime")
    first = local.replace(tzinfo=tz, fold=0)
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != local:
        shifted = (first.astimezone(UTC)).astimezone(tz).strftime("%H:%M")
        raise NonexistentLocalTime(
            f"{local:%H:%M} does not exist on {local:%-d %B %Y} in {tz.key}: the clocks go "
            f"forward that night. Choose another time (for example {shifted}).",
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


def whole_days(start: datetime, end: datetime) -> timedelta:
    """The length of an all-day event in days (at least one)."""
    return timedelta(days=max(1, (end.date() - start.date()).days))
