"""Building our ``Event`` objects (Mobilizon vocabulary) and the one-line summary.

See ``federation.events`` for why the summary carries date, time, zone and place, and why
``content`` is sent as the caller wrote it.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, available_timezones

from federation.activities import format_datetime, ld_context
from federation.jsonld import AS_PUBLIC, JsonObject

STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
JOIN_MODES = frozenset({"free", "restricted", "invite", "external"})
#: Mobilizon reads the online meeting link only from a ``Link`` attachment of this name
#: (``get_online_address`` in ``lib/federation/activity_stream/converter/event.ex``).
ONLINE_LINK_NAME = "Website"

#: Inline terms for Mobilizon's event vocabulary, after ``make_json_ld_header`` in
#: ``framasoft/mobilizon`` ``lib/federation/activity_pub/utils.ex``. Unlike Mobilizon we
#: leave ``location`` as ActivityStreams' ``as:location`` (JSON-LD readers such as
#: Friendica look for that) and skip the ``rdfs:Class`` type coercions.
_SCHEMA_TERMS = (
    "category maximumAttendeeCapacity remainingAttendeeCapacity PostalAddress streetAddress"
    " postalCode addressLocality addressRegion addressCountry"
)
_MOBILIZON_TERMS = (
    "timezone joinMode participantCount isOnline anonymousParticipationEnabled"
    " repliesModerationOption"
)
EVENT_TERMS: JsonObject = {
    "sc": "http://schema.org#",
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "pt": "https://joinpeertube.org/ns#",
    **{term: f"sc:{term}" for term in _SCHEMA_TERMS.split()},
    "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
    **{term: f"mz:{term}" for term in _MOBILIZON_TERMS.split()},
    "commentsEnabled": "pt:commentsEnabled",
    "status": "ical:status",
    # The when-and-where line: Mastodon reads the plain ``summary`` key and shows it as body
    # text; JSON-LD readers (Friendica) would take ``as:summary`` for a content warning and
    # collapse the meetup, so in an Event's context the term means schema.org's short
    # "description used to disambiguate" (see ``federation.events``).
    "summary": "sc:disambiguatingDescription",
}
#: Gancio files an event whose place is called "online" (any case) as an online meetup
#: (``_findOrCreatePlace`` in ``lesion/gancio`` ``server/api/controller/event.js``).
ONLINE_PLACE_NAME = "Online"
#: Mobilizon refuses titles shorter than this (``validate_length(:title, min: 3)`` in
#: ``lib/mobilizon/events/event.ex``): the whole event is dropped.
MIN_NAME = 3


@dataclass(frozen=True)
class Place:
    """Where an event happens; every part is optional."""

    name: str | None = None
    street: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    region: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    id: str | None = None


@dataclass(frozen=True)
class EventFields:
    """Everything ``build_event`` needs (naive datetimes are taken as UTC). An all-day
    event may end at the midnight after its last day (exclusive, as Hearth stores it)."""

    id: str
    url: str
    name: str
    content_html: str
    attributed_to: str
    start: datetime
    end: datetime | None
    timezone: str
    published: datetime
    to: Sequence[str] = (AS_PUBLIC,)
    cc: Sequence[str] = ()
    all_day: bool = False
    location: Place | None = None
    online_url: str | None = None
    join_mode: str = "free"
    capacity: int | None = None
    participant_count: int = 0
    status: str = "CONFIRMED"
    comments_enabled: bool = True
    tags: Sequence[str] = ()
    #: Tag pages live at ``tag_url_prefix + tag``; without it hashtags carry no ``href``.
    tag_url_prefix: str | None = None
    image_url: str | None = None
    image_media_type: str = "image/jpeg"
    image_alt: str = ""
    updated: datetime | None = None
    category: str | None = None
    locale: str = "en"
    #: Who organized it, when not the group itself (Mobilizon files an Event under its
    #: ``attributedTo`` group only when ``actor`` names someone else: ``utils.ex``).
    actor: str | None = None
    #: A picture to send first when the event has none but an online link: Gancio fetches
    #: ``attachment[0].url`` on every Update and drops the Update when there is none.
    fallback_image_url: str | None = None


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_of(name: object) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None (``ZoneInfo`` alone also opens directories)."""
    if not isinstance(name, str) or len(name) > 64 or name not in _zone_names():
        return None
    return ZoneInfo(name)


@dataclass(frozen=True)
class _Words:
    weekdays: str  # Monday first, space-separated
    months: str
    day: str  # how "weekday day month" reads
    all_day: str
    online: str
    unknown_place: str

    def day_text(self, day: date, *, year: bool) -> str:
        weekday, month = self.weekdays.split()[day.weekday()], self.months.split()[day.month - 1]
        text = self.day.format(weekday=weekday, day=day.day, month=month)
        return f"{text} {day.year}" if year else text


_WORDS = {
    "en": _Words(
        "Mon Tue Wed Thu Fri Sat Sun",
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
        "{weekday} {day} {month}",
        "all day",
        "Online",
        "Place to be announced",
    ),
    "fr": _Words(
        "lun. mar. mer. jeu. ven. sam. dim.",
        "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
        "{weekday} {day} {month}",
        "toute la journée",
        "En ligne",
        "Lieu à préciser",
    ),
    "de": _Words(
        "Mo. Di. Mi. Do. Fr. Sa. So.",
        "Jan. Feb. März Apr. Mai Juni Juli Aug. Sep. Okt. Nov. Dez.",
        "{weekday} {day}. {month}",
        "ganztägig",
        "Online",
        "Ort wird noch bekannt gegeben",
    ),
}


def _words(locale: str) -> _Words:
    """The words of ``locale`` (``fr-CA`` → ``fr``); English when we have none."""
    return _WORDS.get(locale.replace("_", "-").split("-")[0].lower(), _WORDS["en"])


def join_parts(parts: Iterable[str | None], separator: str = ", ") -> str:
    """Non-empty parts, whitespace collapsed, repeats (ignoring case) left out, joined."""
    kept: dict[str, str] = {}
    for part in parts:
        cleaned = " ".join((part or "").split())
        kept.setdefault(cleaned.casefold(), cleaned)
    return separator.join(part for part in kept.values() if part)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _span(words: _Words, first: date, last: date) -> str:
    """``Sat 3 May 2025``, or ``Sat 3 May – Sun 4 May 2025`` (years on both if they differ)."""
    if first == last:
        return words.day_text(first, year=True)
    head = words.day_text(first, year=first.year != last.year)
    return f"{head} – {words.day_text(last, year=True)}"


def _last_day(start: datetime, end: datetime | None) -> date:
    """The last calendar day of an all-day event (an exclusive midnight end is the day after)."""
    if end is None or end <= start:
        return start.date()
    if end.time() == time(0) and end.date() > start.date():
        return end.date() - timedelta(days=1)
    return end.date()


def _when(words: _Words, start: datetime, end: datetime | None) -> str:
    """Date and wall-clock time; a multi-day span names both days (years only if they differ)."""
    if end is None or end <= start:
        return f"{words.day_text(start.date(), year=True)}, {start:%H:%M}"
    if start.date() == end.date():
        return f"{words.day_text(start.date(), year=True)}, {start:%H:%M}–{end:%H:%M}"
    year = start.year != end.year
    first = f"{words.day_text(start.date(), year=year)} {start:%H:%M}"
    return f"{first} – {words.day_text(end.date(), year=year)} {end:%H:%M}"


def event_summary(
    start: datetime,
    end: datetime | None,
    timezone: str,
    all_day: bool,
    location_name: str | None,
    locality: str | None,
    online: bool,
    locale: str = "en",
) -> str:
    """The plain-text line Mastodon shows under an event's name: when (in the event's zone)
    and where, e.g. ``Sat 3 May 2025, 14:00–17:00 (Europe/Paris) · Community hall, Lyon``.

    Raises ``ValueError`` for an unknown zone.
    """
    zone = zone_of(timezone)
    if zone is None:
        raise ValueError(f"unknown time zone {timezone!r}")
    words = _words(locale)
    local_start = _aware(start).astimezone(zone)
    local_end = _aware(end).astimezone(zone) if end is not None else None
    if all_day:
        last = _last_day(local_start, local_end)
        when = f"{_span(words, local_start.date(), last)} ({words.all_day})"
    else:
        when = f"{_when(words, local_start, local_end)} ({timezone})"
    segments = [when, join_parts([location_name, locality]), words.online if online else ""]
    return " · ".join(segment for segment in segments if segment)


def format_local_datetime(moment: datetime, zone: ZoneInfo) -> str:
    """``2025-05-03T14:00:00+02:00``: whole seconds, with the zone's offset at that instant."""
    return _aware(moment).astimezone(zone).replace(microsecond=0).isoformat()


def _drop_empty(values: JsonObject) -> JsonObject:
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _postal_address(place: Place) -> JsonObject | None:
    """The PostalAddress; a place known only by its name gets the name as street line
    (Gancio's Update needs a street, locality or country, or it drops the edit)."""
    address = _drop_empty(
        {
            "streetAddress": place.street,
            "postalCode": place.postal_code,
            "addressLocality": place.locality,
            "addressRegion": place.region,
            "addressCountry": place.country,
        }
    )
    if not address.keys() & {"streetAddress", "addressLocality", "addressCountry"}:
        address = _drop_empty(address | {"streetAddress": place.name})
    return {"type": "PostalAddress", **address} if address else None


def _without_repeats(parts: Iterable[str | None]) -> list[str]:
    """Parts, leaving out one already said inside another (``Lyon`` in ``69001 Lyon``)."""
    kept: list[str] = []
    for part in (" ".join((part or "").split()) for part in parts):
        if not part or any(part.casefold() in said.casefold() for said in kept):
            continue
        kept = [said for said in kept if said.casefold() not in part.casefold()] + [part]
    return kept


def _place(place: Place) -> JsonObject:
    """A physical Place. Its name spells out the street and town too: Friendica shows only a
    location's ``name`` (``Receiver::getObjectDataFromActivity``), never its address."""
    town = join_parts([place.postal_code, place.locality], " ")
    document: JsonObject = {
        "type": "Place",
        "id": place.id,
        "name": ", ".join(_without_repeats([place.name, place.street, town])),
        "address": _postal_address(place),
    }
    if place.latitude is not None and place.longitude is not None:
        document |= {"latitude": place.latitude, "longitude": place.longitude}
    return _drop_empty(document)


def _online_place(url: str) -> JsonObject:
    """An online meetup's location: Gancio finds the link only in ``location.address.url``
    (``parsePlace`` in ``server/federation/helpers.js``); an empty ``streetAddress`` keeps
    Gancio's Update from reading the address object as the place's address line."""
    address = {"type": "PostalAddress", "streetAddress": "", "url": url}
    return {"type": "Place", "name": ONLINE_PLACE_NAME, "address": address}


def _location(fields: EventFields) -> JsonObject:
    """One Place object, never a list: Mobilizon's ``get_address`` (``converter/utils.ex``)
    has no case for a list and drops the event. A physical place wins over the online link
    (which Mobilizon and Hearth read from the ``Website`` Link); an online-only meetup, or
    one whose place is not known yet, gets a Place too, so Mobilizon keeps its time zone
    (``calculate_timezone`` in ``converter/event.ex`` drops it when there is no address)."""
    if fields.location is not None:
        return _place(fields.location)
    if fields.online_url:
        return _online_place(fields.online_url)
    # Neither yet: Gancio's Update needs a place with an address line (or it drops the
    # edit), and Mobilizon keeps the zone only with an address.
    return _place(Place(name=_words(fields.locale).unknown_place))


def _attachments(fields: EventFields) -> list[JsonObject]:
    """The cover image first (Gancio takes ``attachment[0].url`` as the picture on Update),
    then the online meeting as Mobilizon's ``Website`` Link. Without a cover, a link comes
    after the fallback picture, never first: Gancio would fetch "undefined" and drop the
    Update."""
    attachments: list[JsonObject] = []
    image_url = fields.image_url or (fields.fallback_image_url if fields.online_url else None)
    if image_url:
        attachments.append(_image(fields, "Document", image_url))
    if fields.online_url:
        link = {"type": "Link", "name": ONLINE_LINK_NAME, "mediaType": "text/html"}
        attachments.append(link | {"href": fields.online_url})
    return attachments


def _guessed_image_type(url: str) -> str:
    guessed = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    return guessed if guessed.startswith("image/") else "image/jpeg"


def _image(fields: EventFields, kind: str, url: str | None = None) -> JsonObject:
    own = url in (None, fields.image_url)
    return {
        "type": kind,
        "mediaType": fields.image_media_type if own else _guessed_image_type(url or ""),
        "url": url or fields.image_url,
        "name": (fields.image_alt or fields.name) if own else fields.name,
    }


def federated_name(name: str, start: datetime, zone: ZoneInfo, locale: str = "en") -> str:
    """The title as sent: one shorter than Mobilizon accepts gets its day added."""
    name = " ".join(name.split())
    if len(name) >= MIN_NAME:
        return name
    day = _words(locale).day_text(_aware(start).astimezone(zone).date(), year=False)
    return join_parts([name, day], " · ")


def _hashtags(fields: EventFields) -> list[JsonObject]:
    tags: list[JsonObject] = []
    for name in dict.fromkeys(tag.lstrip("#") for tag in fields.tags if tag.lstrip("#")):
        href = f"{fields.tag_url_prefix}{quote(name.lower())}" if fields.tag_url_prefix else None
        tags.append(_drop_empty({"type": "Hashtag", "name": f"#{name}", "href": href}))
    return tags


def _check(fields: EventFields) -> ZoneInfo:
    zone = zone_of(fields.timezone)
    if zone is None:
        raise ValueError(f"unknown time zone {fields.timezone!r}")
    if fields.status not in STATUSES:
        raise ValueError(f"status {fields.status!r} is not one of {sorted(STATUSES)}")
    if fields.join_mode not in JOIN_MODES:
        raise ValueError(f"joinMode {fields.join_mode!r} is not one of {sorted(JOIN_MODES)}")
    if fields.end is not None and _aware(fields.end) < _aware(fields.start):
        raise ValueError("the event ends before it starts")
    if fields.participant_count < 0:
        raise ValueError("participant_count is negative")
    return zone


def build_event(fields: EventFields) -> JsonObject:
    """The ``Event`` object as PROTOCOL.md shows it; ``ValueError`` for inconsistent fields."""
    zone = _check(fields)
    place = fields.location
    online = bool(fields.online_url)
    capacity = fields.capacity if fields.capacity and fields.capacity > 0 else None
    remaining = max(capacity - fields.participant_count, 0) if capacity else None
    document: JsonObject = {
        "@context": ld_context(EVENT_TERMS),
        "id": fields.id,
        "type": "Event",
        "url": fields.url,
        "name": federated_name(fields.name, fields.start, zone, fields.locale),
        "content": fields.content_html,
        "mediaType": "text/html",
        "summary": event_summary(
            fields.start,
            fields.end,
            fields.timezone,
            fields.all_day,
            place.name if place else None,
            place.locality if place else None,
            online,
            fields.locale,
        ),
        "attributedTo": fields.attributed_to,
        "actor": fields.actor if fields.actor != fields.attributed_to else None,
        "startTime": format_local_datetime(fields.start, zone),
        "endTime": format_local_datetime(fields.end, zone) if fields.end else None,
        "timezone": fields.timezone,
        "joinMode": fields.join_mode,
        "maximumAttendeeCapacity": capacity,
        "remainingAttendeeCapacity": remaining,
        "participantCount": fields.participant_count,
        "isOnline": online,
        "status": fields.status,
        # Mobilizon still sends and reads the prefixed spelling ("Remove fallback in MBZ 5.x").
        "ical:status": fields.status,
        "commentsEnabled": fields.comments_enabled,
        "repliesModerationOption": "allow_all" if fields.comments_enabled else "closed",
        "anonymousParticipationEnabled": False,
        "category": fields.category,
        "location": _location(fields),
        "attachment": _attachments(fields),
        "image": _image(fields, "Image") if fields.image_url else None,
        "tag": _hashtags(fields),
        "published": format_datetime(fields.published),
        "to": list(fields.to),
        "cc": list(fields.cc),
    }
    if fields.updated is not None and format_datetime(fields.updated) > document["published"]:
        document["updated"] = format_datetime(fields.updated)
    return {key: value for key, value in document.items() if value is not None}
