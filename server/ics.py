"""iCalendar export with the ``icalendar`` library: stable UIDs, SEQUENCE, STATUS, VTIMEZONE,
RRULE for series, URL, GEO, LOCATION — what calendar apps need to follow later changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar

from server.models import Group
from server.models_events import Event

PRODID = "-//Hearth//Neighborhood meetups//EN"
STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def event_uid(domain: str, event: Event) -> str:
    """A UID that never changes for the same meetup."""
    return f"event-{event.id}@{domain.split(':')[0]}"


def _location(event: Event) -> str:
    parts = [
        event.venue_name,
        event.street,
        " ".join(p for p in (event.postal_code, event.locality) if p),
        event.country,
    ]
    return ", ".join(part for part in parts if part) or ("Online" if event.online_url else "")


def to_vevent(event: Event, group: Group, base_url: str, domain: str) -> icalendar.Event:
    """One meetup as a VEVENT, in its own time zone (all-day events as dates)."""
    tz = ZoneInfo(event.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(domain, event))
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
        description = f"{description}\n\nOnline: {event.online_url}".strip()
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


def build_calendar(
    name: str | None, items: Iterable[tuple[Event, Group]], base_url: str, domain: str
) -> bytes:
    """A VCALENDAR of meetups with the VTIMEZONEs they use.

    Each occurrence of a series is its own VEVENT with its own UID: occurrences have their
    own pages, RSVPs, edits and cancellations, which calendar apps follow through SEQUENCE
    and STATUS (as Meetup's exports do), rather than one RRULE with overrides.
    """
    calendar = _calendar(name)
    for event, group in items:
        calendar.add_component(to_vevent(event, group, base_url, domain))
    calendar.add_missing_timezones()
    return calendar.to_ical()
