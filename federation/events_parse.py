"""Reading ``Event`` objects from Mobilizon, Gancio, Friendica and other Hearth servers.

Tolerant where peers differ (compacted JSON-LD, ``location`` as a Place, a plain string or
a list with FEP-8a8e ``VirtualLocation``s, ``address`` as a PostalAddress or a string,
coordinates as numbers or strings, timestamps with ``Z``, offsets or nanoseconds) and
strict where trust is at stake: the event must live on its sender's origin. Nothing but
``EventError`` escapes, and every string and list is clipped. HTML is returned as sent:
the caller sanitizes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from federation.addresses import is_http_url, same_origin
from federation.events_build import JOIN_MODES, ONLINE_LINK_NAME, STATUSES, join_parts, zone_of
from federation.jsonld import JsonObject, as_list, get_id

MAX_NAME = 300
MAX_SUMMARY = 2_000
MAX_CONTENT = 200_000
MAX_LOCATION = 500
MAX_TAGS = 50
MAX_TAG = 100
MAX_SHORT = 64
#: Items looked at in any list (attachments, tags, locations, urls).
MAX_ITEMS = 100
MAX_COUNT = 10_000_000
_TIMESTAMP_LENGTH = 64
_STATUS_SPELLINGS = {"CANCELED": "CANCELLED"}

#: Meetups happen between these years (the same bounds as Hearth's own forms).
FIRST_YEAR = 1900
LAST_YEAR = 2999


class EventError(ValueError):
    """An object that is not an Event we can use (wrong type, forged origin, bad times)."""


@dataclass(frozen=True)
class RemoteEvent:
    """An event as a peer describes it; ``content_html`` and ``summary`` are unsanitized."""

    id: str
    name: str
    content_html: str
    summary: str | None
    url: str | None
    start: datetime
    end: datetime | None
    timezone: str | None
    location_text: str | None
    latitude: float | None
    longitude: float | None
    online_url: str | None
    is_online: bool
    status: str
    capacity: int | None
    remaining_capacity: int | None
    participant_count: int
    join_mode: str
    comments_enabled: bool
    image_url: str | None
    tags: tuple[str, ...]
    attributed_to: str | None
    category: str | None
    published: datetime | None
    updated: datetime | None


def _items(value: Any) -> list[Any]:
    return as_list(value)[:MAX_ITEMS]


def _dicts(value: Any) -> Iterator[JsonObject]:
    return (item for item in _items(value) if isinstance(item, dict))


def _is_url(value: Any) -> bool:
    try:
        return is_http_url(value)
    except ValueError:  # urlsplit's own errors, e.g. an unclosed IPv6 bracket
        return False


def _text(value: Any, limit: int) -> str | None:
    """A string value, clipped; the first value of a language map (``nameMap``) too."""
    if isinstance(value, dict):
        value = next(iter(value.values()), None)
    return value[:limit] if isinstance(value, str) else None


def _natural(obj: JsonObject, name: str, limit: int) -> str | None:
    """``name`` or, failing that, the first entry of ``nameMap`` (compacted JSON-LD)."""
    return _text(obj.get(name), limit) or _text(obj.get(f"{name}Map"), limit)


def _url(value: Any, depth: int = 0) -> str | None:
    """The first http(s) URL in a string, a Link (``href``), an Image (``url``) or a list."""
    for item in _items(value):
        if isinstance(item, dict) and depth < 2:
            item = _url(item.get("href") or item.get("url"), depth + 1)
        if _is_url(item):
            return str(item)
    return None


def _first_id(value: Any) -> str | None:
    """The first http(s) id among references (a string, an object or a list of them)."""
    return next((ident for item in _items(value) if _is_url(ident := get_id(item))), None)


def _kinds(obj: JsonObject) -> set[str]:
    return {kind for kind in _items(obj.get("type")) if isinstance(kind, str)}


def _timestamp(value: Any, zone: tzinfo | None) -> datetime:
    """An aware datetime; a time without offset is read in the event's zone (else UTC)."""
    if not isinstance(value, str) or len(value) > _TIMESTAMP_LENGTH:
        raise EventError(f"{value!r} is not an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone or UTC)
        moment.astimezone(UTC)  # refuse what cannot be placed on the UTC line
    except (ValueError, OverflowError) as exc:
        raise EventError(f"{value!r} is not an ISO 8601 timestamp") from exc
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        # Adding a day, a duration or a reminder to year 9999 overflows in every page.
        raise EventError(f"{value!r} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return moment


def _optional_timestamp(value: Any) -> datetime | None:
    try:
        return _timestamp(value, None)
    except EventError:
        return None


def _times(obj: JsonObject, zone: tzinfo | None) -> tuple[datetime, datetime | None]:
    start = _timestamp(obj.get("startTime"), zone)
    raw_end = obj.get("endTime")
    end = _timestamp(raw_end, zone) if raw_end not in (None, "") else None
    if end is not None and end < start:
        raise EventError(f"the event ends ({end}) before it starts ({start})")
    return start, end


def _count(value: Any, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if minimum <= value <= MAX_COUNT else None


def _coordinate(value: Any, bound: float) -> float | None:
    """A latitude/longitude as a number or a numeric string (Friendica), within ±bound."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value[:32] if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _is_virtual(place: Any) -> bool:
    """A FEP-8a8e online location: a ``VirtualLocation`` or a Place whose address has a url."""
    if not isinstance(place, dict):
        return False
    address = place.get("address")
    return "VirtualLocation" in _kinds(place) or (
        isinstance(address, dict)
        and ("VirtualLocation" in _kinds(address) or address.get("url") is not None)
    )


def _virtual_url(place: JsonObject) -> str | None:
    address = place.get("address")
    return _url(place.get("url")) or (
        _url(address.get("url")) if isinstance(address, dict) else None
    )


def _address_parts(address: Any) -> list[str | None]:
    if isinstance(address, str):
        return [address[:MAX_LOCATION]]
    if not isinstance(address, dict):
        return []
    fields = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    street, postal_code, locality, region, country = (_text(address.get(f), 200) for f in fields)
    return [street, join_parts([postal_code, locality], " "), region, country]


def _location(obj: JsonObject) -> tuple[str | None, float | None, float | None]:
    """One human-readable line and the coordinates of the first physical place."""
    for place in _items(obj.get("location")):
        if isinstance(place, str):
            return join_parts([place])[:MAX_LOCATION] or None, None, None
        if not isinstance(place, dict) or _is_virtual(place):
            continue
        name = _natural(place, "name", MAX_LOCATION)
        # Hearth (for Friendica) names a place with its street and town: say them once.
        said = (name or "").casefold()
        parts = [
            p for p in _address_parts(place.get("address")) if (p or "").casefold() not in said
        ]
        text = join_parts([name, *parts])[:MAX_LOCATION]
        latitude = _coordinate(place.get("latitude"), 90)
        longitude = _coordinate(place.get("longitude"), 180)
        if latitude is None or longitude is None:
            latitude = longitude = None
        if text or latitude is not None:
            return text or None, latitude, longitude
    return None, None, None


def _links(obj: JsonObject) -> list[tuple[str, str | None]]:
    """``(href, name)`` of each html ``Link`` attachment."""
    links = []
    for item in _dicts(obj.get("attachment")):
        href = _url(item.get("href"))
        media_type = item.get("mediaType")
        if href and media_type in (None, "text/html") and not _kinds(item) - {"Link"}:
            links.append((href, _text(item.get("name"), MAX_LOCATION)))
    return links


def _online_url(obj: JsonObject, is_online: bool) -> str | None:
    """Mobilizon's ``Website`` Link, a FEP-8a8e virtual location, a Gancio Link (named by
    its own URL), or any html Link of an event marked ``isOnline``."""
    links = _links(obj)
    virtual = (_virtual_url(place) for place in _dicts(obj.get("location")) if _is_virtual(place))
    candidates = [
        *(href for href, name in links if name == ONLINE_LINK_NAME),
        *virtual,
        *(href for href, name in links if name == href),
        *(href for href, _ in links if is_online),
    ]
    return next((url for url in candidates if url), None)


def _is_image(media: JsonObject) -> bool:
    media_type = media.get("mediaType")
    is_image_type = isinstance(media_type, str) and media_type.startswith("image/")
    return "Image" in _kinds(media) or ("Document" in _kinds(media) and is_image_type)


def _image_url(obj: JsonObject) -> str | None:
    """The cover: ``image``, else Mobilizon's ``Banner`` attachment, else the first image."""
    images = [media for media in _dicts(obj.get("attachment")) if _is_image(media)]
    banners = [media for media in images if media.get("name") == "Banner"]
    for candidate in (obj.get("image"), *banners, *images):
        url = _url(candidate.get("url") if isinstance(candidate, dict) else candidate)
        if url:
            return url
    return None


def _tags(obj: JsonObject) -> tuple[str, ...]:
    """Hashtag names without ``#``, once each (ignoring case), at most ``MAX_TAGS``."""
    names: dict[str, str] = {}
    for tag in _dicts(obj.get("tag")):
        name = (_text(tag.get("name"), MAX_TAG + 1) or "").lstrip("#").strip()[:MAX_TAG]
        if name and "Hashtag" in _kinds(tag):
            names.setdefault(name.casefold(), name)
    return tuple(names.values())[:MAX_TAGS]


def _keyword(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and len(value) <= MAX_SHORT else None


def _status(obj: JsonObject) -> str:
    """``status`` (Mobilizon maps it to ``ical:status``) or the prefixed spelling."""
    status = (_keyword(obj.get("status")) or _keyword(obj.get("ical:status")) or "").upper()
    status = _STATUS_SPELLINGS.get(status, status)
    return status if status in STATUSES else "CONFIRMED"


def _join_mode(obj: JsonObject) -> str:
    mode = (_keyword(obj.get("joinMode")) or "").lower()
    return mode if mode in JOIN_MODES else "free"


def _comments_enabled(obj: JsonObject) -> bool:
    moderation = obj.get("repliesModerationOption")
    if isinstance(moderation, str):
        return moderation == "allow_all"
    enabled = obj.get("commentsEnabled")
    return enabled if isinstance(enabled, bool) else True


def _checked_id(obj: Any, actor_id: str) -> str:
    if not isinstance(obj, dict):
        raise EventError("an Event is a JSON object")
    if "Event" not in _kinds(obj):
        raise EventError(f"type {obj.get('type')!r} is not Event")
    event_id = obj.get("id")
    if not isinstance(event_id, str) or not _is_url(event_id) or not _is_url(actor_id):
        raise EventError(f"id {event_id!r} is not an http(s) URL")
    if not same_origin(event_id, actor_id):
        raise EventError(f"{event_id} is not on the origin of its sender {actor_id}")
    return event_id


def parse_event(obj: Any, actor_id: str) -> RemoteEvent:
    """Read an Event sent (or served) by ``actor_id``; ``EventError`` if it is unusable."""
    event_id = _checked_id(obj, actor_id)
    timezone = obj.get("timezone")
    zone = zone_of(timezone)
    start, end = _times(obj, zone)
    location_text, latitude, longitude = _location(obj)
    marked_online = obj.get("isOnline") is True or obj.get("mz:isOnline") is True
    online_url = _online_url(obj, marked_online)
    capacity = _count(obj.get("maximumAttendeeCapacity"), 1)
    return RemoteEvent(
        id=event_id,
        name=" ".join((_natural(obj, "name", MAX_NAME) or "").split()),
        content_html=_natural(obj, "content", MAX_CONTENT) or "",
        summary=(_natural(obj, "summary", MAX_SUMMARY) or "").strip() or None,
        url=_url(obj.get("url")),
        start=start,
        end=end,
        timezone=timezone if zone is not None else None,
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        online_url=online_url,
        is_online=marked_online or (online_url is not None and location_text is None),
        status=_status(obj),
        capacity=capacity,
        remaining_capacity=_count(obj.get("remainingAttendeeCapacity"), 0) if capacity else None,
        participant_count=_count(obj.get("participantCount"), 0) or 0,
        join_mode=_join_mode(obj),
        comments_enabled=_comments_enabled(obj),
        image_url=_image_url(obj),
        tags=_tags(obj),
        attributed_to=_first_id(obj.get("attributedTo")),
        category=_text(obj.get("category"), MAX_SHORT),
        published=_optional_timestamp(obj.get("published")),
        updated=_optional_timestamp(obj.get("updated")),
    )
