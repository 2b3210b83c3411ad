"""iCalendar export with the ``icalendar`` library: stable UIDs, SEQUENCE, STATUS, VTIMEZONE,
RRULE for series, URL, GEO, LOCATION — what calendar apps need to follow later changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from server.i18n import _
from server.models import Event, EventSeries, EventStatus, Group
from server.services.recurrence import MAX_COUNT, occurrences

PRODID = "-//Hearth//Neighborhood meetups//EN"
STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def event_uid(domain: str, event: Event) -> str:
    """A UID that never changes for the same meetup: ``event-N@domain`` for a one-off, the
    series' UID for an occurrence of a series (told apart by its RECURRENCE-ID). The domain
    keeps its port: two instances on one host are two sources of UIDs."""
    if event.series_id is not None and event.recurrence_id_at is not None:
        return f"series-{event.series_id}@{domain}"
    return f"event-{event.id}@{domain}"


def _location(event: Event) -> str:
    parts = [
        event.venue_name,
        event.street,
        " ".join(p for p in (event.postal_code, event.locality) if p),
        event.country,
    ]
    return ", ".join(part for part in parts if part) or (_("Online") if event.online_url else "")


def to_vevent(
    event: Event, group: Group, base_url: str, domain: str, note: str = ""
) -> icalendar.Event:
    """One meetup as a VEVENT, in its own time zone (all-day events as dates); ``note`` is
    added to the description (who holds the meetup's roles, say)."""
    tz = ZoneInfo(event.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(domain, event))
    if event.series_id is not None and event.recurrence_id_at is not None:
        # The same identity as in the series' calendar (RRULE master plus this occurrence),
        # so a calendar that has both shows it once.
        vevent.add("recurrence-id", event.recurrence_id_at.astimezone(tz))
    vevent.add("summary", event.title)
    if event.all_day:
        start = event.starts_at.astimezone(tz).date()
        vevent.add("dtstart", start)
        vevent.add("dtend", max(event.ends_at.astimezone(tz).date(), start + timedelta(days=1)))
    else:
        vevent.add("dtstart", event.starts_at.astimezone(tz))
        vevent.add("dtend", event.ends_at.astimezone(tz))
    vevent.add("dtstamp", event.updated_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("created", event.created_at)
    vevent.add("sequence", event.sequence)
    vevent.add("status", STATUS.get(event.status, "CONFIRMED"))
    vevent.add("url", f"{base_url}/events/{event.id}")
    vevent.add("organizer", f"{base_url}/groups/{group.slug}", parameters={"CN": group.name})
    description = event.description_md.strip()
    if event.online_url:
        online = _("Online: %(url)s") % {"url": event.online_url}
        description = f"{description}\n\n{online}".strip()
    if note:
        description = f"{description}\n\n{note}".strip()
    if description:
        vevent.add("description", description)
    if location := _location(event):
        vevent.add("location", location)
    if event.latitude is not None and event.longitude is not None:
        vevent.add("geo", (event.latitude, event.longitude))
    return vevent


def _calendar(name: str | None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT6H")
    return calendar


@dataclass(frozen=True)
class SeriesFeed:
    """A recurring series with every occurrence stored for it (deleted ones are missing)."""

    series: EventSeries
    occurrences: list[Event]


def series_uid(domain: str, series: EventSeries) -> str:
    """The UID of a series' master VEVENT (and of each of its occurrences)."""
    return f"series-{series.id}@{domain}"


def _is_override(event: Event) -> bool:
    return event.sequence > 0 or event.is_detached or event.status == EventStatus.CANCELLED


def _series_components(
    feed: SeriesFeed, group: Group, base_url: str, domain: str
) -> list[icalendar.Event]:
    """The master VEVENT (RRULE, EXDATE for deleted occurrences) and one override per changed
    occurrence (RECURRENCE-ID = the start the rule gave it), as RFC 5545 describes."""
    series, stored = feed.series, feed.occurrences
    tz = ZoneInfo(series.timezone)
    first_local = datetime.fromisoformat(series.first_start_local)
    generated = occurrences(series.rrule, first_local, tz, after=None, limit=MAX_COUNT)
    if not generated or not stored:
        return []
    template = next((e for e in stored if not _is_override(e)), stored[0])
    uid = series_uid(domain, series)
    master = to_vevent(template, group, base_url, domain)
    for key in ("uid", "recurrence-id", "dtstart", "dtend", "url", "sequence", "status"):
        master.pop(key, None)
    master.add("uid", uid)
    master.add("dtstart", generated[0].astimezone(tz))
    master.add("dtend", generated[0].astimezone(tz) + timedelta(minutes=series.duration_minutes))
    master.add("rrule", icalendar.vRecur.from_ical(series.rrule))
    master.add("url", f"{base_url}/groups/{group.slug}/events")
    master.add("sequence", max((e.sequence for e in stored if not _is_override(e)), default=0))
    master.add("status", "CONFIRMED")
    kept = {e.recurrence_id_at for e in stored}
    last_stored = max(e.recurrence_id_at or e.starts_at for e in stored)
    for missing in (start for start in generated if start not in kept and start <= last_stored):
        master.add("exdate", missing.astimezone(tz))
    components = [master]
    for event in stored:
        if _is_override(event) and event.recurrence_id_at is not None:
            components.append(to_vevent(event, group, base_url, domain))
    return components


def build_calendar(
    name: str | None,
    items: Iterable[tuple[Event, Group]],
    base_url: str,
    domain: str,
    series: Mapping[int, SeriesFeed] | None = None,
    notes: Mapping[int, str] | None = None,
) -> bytes:
    """A VCALENDAR of meetups with the VTIMEZONEs they use.

    One-off meetups are VEVENTs of their own. A series in ``series`` becomes one master
    VEVENT with its RRULE plus overrides for occurrences changed or cancelled one by one, so
    calendar apps show it as the recurring meetup it is; occurrences of a series not given
    in ``series`` are listed on their own, with the same UID and RECURRENCE-ID.
    """
    calendar = _calendar(name)
    series = series or {}
    done: set[int] = set()
    for event, group in items:
        if event.series_id is not None and event.series_id in series:
            if event.series_id not in done:
                done.add(event.series_id)
                for component in _series_components(
                    series[event.series_id], group, base_url, domain
                ):
                    calendar.add_component(component)
            continue
        note = (notes or {}).get(event.id or 0, "")
        calendar.add_component(to_vevent(event, group, base_url, domain, note))
    calendar.add_missing_timezones()
    return calendar.to_ical()
