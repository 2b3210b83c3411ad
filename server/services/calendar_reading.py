"""Reading an external iCalendar file into the meetup occurrences it holds, with ``icalendar``.

Each VEVENT is keyed by its UID and, for one occurrence of a recurring event, by the start
the rule gave it (RECURRENCE-ID). Recurring events are expanded by the project's
recurrence code (dateutil) in their own zone — the VTIMEZONE the file defines, an IANA name,
or a Windows name that icalendar maps with the CLDR table — into the next year only, at most
``MAX_PER_EVENT`` occurrences each and ``MAX_OCCURRENCES`` in all. EXDATE removes
occurrences, RECURRENCE-ID overrides replace them. Floating times (no TZID) and all-day
events are placed in the calendar's zone (X-WR-TIMEZONE) or the import's own zone.

The whole file is read before anything is stored: a broken file raises
:class:`CalendarError` and nothing of it is imported.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import cast
from zoneinfo import ZoneInfo, available_timezones

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from federation.addresses import is_http_url
from server.errors import InvalidInput
from server.i18n import _
from server.models import EventStatus
from server.services.events import MAX_DURATION
from server.services.recurrence import HORIZON, MAX_COUNT, occurrences

MAX_PER_EVENT = MAX_COUNT
MAX_OCCURRENCES = 1000
DEFAULT_LENGTH = timedelta(hours=2)
STATUSES = {status.name: status for status in EventStatus}
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


class CalendarError(InvalidInput):
    """The data is not a readable iCalendar file."""


@dataclass(frozen=True)
class Occurrence:
    """One meetup-to-be: a single VEVENT, or one occurrence of a recurring one."""

    uid: str
    recurrence_key: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    all_day: bool = False
    description: str = ""
    location: str = ""
    online_url: str = ""
    url: str = ""
    status: EventStatus = EventStatus.CONFIRMED
    latitude: float | None = None
    longitude: float | None = None
    recurring: bool = False

    @property
    def fingerprint(self) -> str:
        """A digest of everything the meetup is made from (changes when the VEVENT does)."""
        return hashlib.sha256(repr(astuple(self)).encode()).hexdigest()


@dataclass
class ReadCalendar:
    """What a calendar file holds: its name and its occurrences in the import window."""

    name: str
    occurrences: list[Occurrence] = field(default_factory=list)


def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


ZONES = _zone_names()


def zone_name(tz: tzinfo | None, tzid: str | None, fallback: str) -> str:
    """The IANA name of a zone: the zone's own key, the TZID, its Windows (CLDR) mapping, or
    the Olson suffix of a "globally unique" ``/vendor/Area/City`` TZID; else ``fallback``."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key in ZONES:
        return key
    if tz is not None and tz.utcoffset(datetime(2000, 1, 1)) == timedelta(0) and not tzid:
        return "UTC"
    cleaned = (tzid or "").strip().strip("/").strip('"')
    candidates = [cleaned, WINDOWS_TO_OLSON.get(cleaned, "")]
    parts = cleaned.split("/")
    candidates += ["/".join(parts[start:]) for start in range(1, len(parts))]
    return next((name for name in candidates if name in ZONES), fallback)


def read_calendar(data: bytes, default_zone: str, now: datetime) -> ReadCalendar:
    """Every occurrence of the file's VEVENTs that ends after ``now`` and starts within a
    year; raises CalendarError if the data is not a readable calendar."""
    if not data.lstrip(_BOM_AND_SPACE)[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise CalendarError(
            _("This is not an iCalendar file (it does not start with BEGIN:VCALENDAR).")
        )
    try:
        calendar = icalendar.Calendar.from_ical(data.lstrip(b"\xef\xbb\xbf"))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarError(
            _("The calendar file is broken: %(error)s") % {"error": str(exc)[:200]}
        ) from None
    zone = zone_name(None, str(calendar.get("X-WR-TIMEZONE", "")), default_zone)
    reader = _Reader(ZoneInfo(zone), now)
    by_uid: dict[str, list[icalendar.Event]] = {}
    for component in calendar.walk("VEVENT"):
        if isinstance(component, icalendar.Event):
            by_uid.setdefault(_uid(component), []).append(component)
    found: list[Occurrence] = []
    for uid, components in by_uid.items():
        try:
            found += reader.expand(uid, components)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            raise CalendarError(
                _("The event %(uid)s could not be read: %(error)s")
                % {"uid": uid, "error": str(exc)[:200]}
            ) from None
    found.sort(key=lambda item: (item.starts_at, item.uid))
    return ReadCalendar(_text(calendar, "X-WR-CALNAME", 200), found[:MAX_OCCURRENCES])


def _uid(component: icalendar.Event) -> str:
    uid = str(component.get("UID", "")).strip()
    if uid:
        return uid[:500]
    # RFC 5545 requires a UID; without one, the start and title identify the event.
    seed = f"{component.get('DTSTART').to_ical() if 'DTSTART' in component else ''}"
    seed += str(component.get("SUMMARY", ""))
    return "no-uid-" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _text(component: icalendar.Component, name: str, limit: int) -> str:
    value = component.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\x00", "").strip()[:limit]


def _moment(component: icalendar.Event, name: str) -> date | datetime | None:
    if name not in component:
        return None
    try:
        value = component.decoded(name)
    except (ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, date):
        raise CalendarError(
            _("The event %(uid)s has an invalid %(name)s.") % {"uid": _uid(component), "name": name}
        )
    return value


def _key(moment: date | datetime, tz: tzinfo) -> str:
    """How an occurrence is named: its original start in UTC, or its day if all-day."""
    if not isinstance(moment, datetime):
        return moment.strftime("%Y%m%d")
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
    return aware.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _dates(component: icalendar.Event, name: str) -> list[date | datetime]:
    """The values of EXDATE or RDATE (each may appear several times, each with several)."""
    values = component.get(name)
    if values is None:
        return []
    found = []
    for value in values if isinstance(values, list) else [values]:
        found += [item.dt for item in getattr(value, "dts", [])]
    return found


class _Reader:
    """Expands the VEVENTs of one file in the window that starts ``now``."""

    def __init__(self, floating_zone: ZoneInfo, now: datetime) -> None:
        self.floating_zone = floating_zone
        self.now = now
        self.until = now + HORIZON

    def _zone(self, component: icalendar.Event, start: date | datetime) -> tuple[tzinfo, str]:
        if isinstance(start, datetime) and start.tzinfo is not None:
            tzid = component["DTSTART"].params.get("TZID")
            return start.tzinfo, zone_name(start.tzinfo, tzid, self.floating_zone.key)
        return self.floating_zone, self.floating_zone.key

    def expand(self, uid: str, components: list[icalendar.Event]) -> list[Occurrence]:
        """The occurrences of one UID: its master expanded, overrides put in place."""
        masters = [c for c in components if "RECURRENCE-ID" not in c]
        overrides = {
            _key(_moment(c, "RECURRENCE-ID") or date.min, self._zone(c, _start(c))[0]): c
            for c in components
            if "RECURRENCE-ID" in c
        }
        found: dict[str, Occurrence] = {}
        if masters:
            master = max(masters, key=lambda c: int(c.get("SEQUENCE", 0) or 0))
            found = self._expand_master(uid, master)
        for key, override in overrides.items():
            if key in found or not masters:
                found[key] = self._occurrence(uid, key, override, _start(override), True)
        return [item for item in found.values() if self._in_window(item)]

    def _in_window(self, item: Occurrence) -> bool:
        return item.ends_at > self.now and item.starts_at <= self.until

    def _expand_master(self, uid: str, master: icalendar.Event) -> dict[str, Occurrence]:
        start = _start(master)
        if "RRULE" not in master and "RDATE" not in master:
            return {"": self._occurrence(uid, "", master, start, False)}
        tz, _ignored = self._zone(master, start)
        first_local = _naive(start, tz)
        length = self._length(master, start)
        starts: list[date | datetime] = []
        if "RRULE" in master:
            rule = _local_rule(
                cast("icalendar.vRecur | list[icalendar.vRecur]", master["RRULE"]), tz
            )
            try:
                moments = occurrences(
                    rule, first_local, tz, after=self.now - length, limit=MAX_PER_EVENT
                )
            except (ValueError, TypeError, OverflowError) as exc:
                raise CalendarError(
                    _("The event %(uid)s has an unreadable RRULE: %(error)s")
                    % {"uid": uid, "error": exc}
                ) from None
            starts += [
                m.astimezone(tz) if isinstance(start, datetime) else m.astimezone(tz).date()
                for m in moments
            ]
        starts += _dates(master, "RDATE")
        excluded = {_key(moment, tz) for moment in _dates(master, "EXDATE")}
        found: dict[str, Occurrence] = {}
        for moment in sorted(starts, key=lambda m: _key(m, tz))[: MAX_PER_EVENT * 2]:
            key = _key(moment, tz)
            if key not in excluded and len(found) < MAX_PER_EVENT:
                found[key] = self._occurrence(uid, key, master, moment, True)
        return found

    def _length(self, component: icalendar.Event, start: date | datetime) -> timedelta:
        end = _moment(component, "DTEND")
        if end is None and "DURATION" in component:
            duration = component.decoded("DURATION")
            end = start + duration if isinstance(duration, timedelta) else None
        if isinstance(end, datetime) and isinstance(start, datetime):
            tz = self._zone(component, start)[0]
            length = _aware(end, tz) - _aware(start, tz)
        elif end is not None and not isinstance(start, datetime):
            length = timedelta(days=(_day(end) - start).days)
        else:
            length = DEFAULT_LENGTH if isinstance(start, datetime) else timedelta(days=1)
        minimum = timedelta(minutes=1) if isinstance(start, datetime) else timedelta(days=1)
        return min(max(length, minimum), MAX_DURATION)

    def _occurrence(
        self,
        uid: str,
        key: str,
        component: icalendar.Event,
        start: date | datetime,
        recurring: bool,
    ) -> Occurrence:
        tz, name = self._zone(component, _start(component))
        length = self._length(component, _start(component))
        all_day = not isinstance(start, datetime)
        begin = _aware(start, tz if not all_day else ZoneInfo(name)).astimezone(UTC)
        location = ", ".join(
            line.strip() for line in _text(component, "LOCATION", 1000).splitlines() if line.strip()
        )
        online = _text(component, "X-GOOGLE-CONFERENCE", 2048)
        if is_http_url(location) and len(location) <= 2048:
            online, location = online or location, ""
        geo = component.get("GEO")
        return Occurrence(
            uid=uid,
            recurrence_key=key,
            title=_text(component, "SUMMARY", 200) or _("Untitled meetup"),
            starts_at=begin,
            ends_at=begin + length,
            timezone=name,
            all_day=all_day,
            description=_text(component, "DESCRIPTION", 9000),
            location=location,
            online_url=online if is_http_url(online) else "",
            url=url if is_http_url(url := _text(component, "URL", 2048)) else "",
            status=STATUSES.get(_text(component, "STATUS", 20).upper(), EventStatus.CONFIRMED),
            latitude=getattr(geo, "latitude", None),
            longitude=getattr(geo, "longitude", None),
            recurring=recurring,
        )


def _start(component: icalendar.Event) -> date | datetime:
    start = _moment(component, "DTSTART")
    if start is None:
        raise CalendarError(_("The event %(uid)s has no DTSTART.") % {"uid": _uid(component)})
    return start


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _naive(moment: date | datetime, tz: tzinfo) -> datetime:
    """The wall-clock time in ``tz`` (midnight for a date) without a zone."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time())
    return moment.astimezone(tz).replace(tzinfo=None) if moment.tzinfo else moment


def _aware(moment: date | datetime, tz: tzinfo) -> datetime:
    """An aware datetime: floating times and dates are placed in ``tz``."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), tzinfo=tz)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _local_rule(rrule: icalendar.vRecur | list[icalendar.vRecur], tz: tzinfo) -> str:
    """The RRULE with UNTIL as wall-clock time in the event's zone, as dateutil wants it
    for a wall-clock start (RFC 5545 writes it in UTC when DTSTART has a TZID)."""
    rule = icalendar.vRecur(rrule[0] if isinstance(rrule, list) else rrule)
    until = rule.get("UNTIL")
    if until:
        moment = until[0] if isinstance(until, list) else until
        if isinstance(moment, datetime):
            local = moment.astimezone(tz).replace(tzinfo=None) if moment.tzinfo else moment
        else:
            local = datetime.combine(moment, time(23, 59, 59))
        rule["UNTIL"] = [local]
    return rule.to_ical().decode()
