"""How Gancio, Mobilizon, Friendica and Mastodon read an incoming Event, re-implemented from
their source, code path by code path, so tests can show what their users would see.

Each function names the file and function it follows. Where the peer would throw (and so
drop the activity), the re-implementation raises ``PeerRefused`` with the reason, including
JavaScript ``TypeError``s such as calling ``.trim()`` on an object.

- Gancio: ``lesion/gancio`` at dea1bd9e (``server/federation/inbox.js``, ``helpers.js``
  ``parsePlace`` / ``parseAPEvent``, ``events.js`` ``update`` / ``remove``,
  ``server/api/controller/event.js`` ``_findOrCreatePlace``).
- Mobilizon: ``framasoft/mobilizon`` at c64a0ea7 (``lib/federation/activity_stream/converter/
  event.ex`` ``as_to_model_data``, ``converter/utils.ex`` ``get_address`` and
  ``maybe_fetch_actor_and_attributed_to_id``, ``converter/address.ex``,
  ``lib/mobilizon/events/event.ex`` ``validate_lengths``, ``lib/service/timezone_detector.ex``,
  ``lib/federation/activity_pub/transmogrifier.ex`` Delete → ``handle_group_being_gone``).
- Friendica: ``friendica/friendica`` at a0a8aeb3 (``src/Protocol/ActivityPub/Receiver.php``
  ``getObjectDataFromActivity`` on the JSON-LD-compacted activity, ``Processor.php``
  ``createEvent`` / ``updateEvent`` / ``processContent``).
- Mastodon: ``mastodon/mastodon`` ``app/lib/activitypub/parser/status_parser.rb`` (converted
  types show ``<h2>name</h2>``, ``summary`` and the link) and
  ``parser/media_attachment_parser.rb`` (an attachment is media when it has a ``url``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

JsonObject = dict[str, Any]
AS = "https://www.w3.org/ns/activitystreams#"


class PeerRefused(Exception):
    """The peer would throw or refuse here: the activity is lost for its users."""


def _truthy(value: Any) -> bool:
    """JavaScript truthiness (``""``, ``0``, ``null``, ``undefined`` are false)."""
    return value not in (None, "", 0, False)


def _get(value: Any, key: str) -> Any:
    """JavaScript ``value?.key``: undefined (None) unless ``value`` is an object."""
    return value.get(key) if isinstance(value, dict) else None


def _nullish(*values: Any) -> Any:
    """JavaScript ``a ?? b ?? …``: the first value that is not null/undefined."""
    return next((value for value in values if value is not None), None)


def _trim(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise PeerRefused(f"TypeError: {what}.trim is not a function ({value!r})")
    return value.strip()


# Gancio ----------------------------------------------------------------------------------


def gancio_find_or_create_place(body: JsonObject) -> JsonObject:
    """``_findOrCreatePlace`` (``server/api/controller/event.js``)."""
    name = _truthy(body.get("place_name")) and _trim(body["place_name"], "place_name")
    address = _truthy(body.get("place_address")) and _trim(body["place_address"], "address")
    if not name or (not address and name.lower() != "online"):
        raise PeerRefused("place_id or place_name and place_address are required")
    place = {"name": name, "address": address or ""}
    if _truthy(body.get("place_latitude")) and _truthy(body.get("place_longitude")):
        place |= {"latitude": float(body["place_latitude"])}
        place |= {"longitude": float(body["place_longitude"])}
    return place


def gancio_parse_place(ap_event: JsonObject) -> tuple[JsonObject | None, list[str]]:
    """``parsePlace`` (``server/federation/helpers.js``): the place and the online links."""
    location = ap_event.get("location")
    if not _truthy(location):
        return None, []
    locations = location if isinstance(location, list) else [location]

    def address_url(entry: Any) -> Any:
        return _get(_get(entry, "address"), "url")

    physical = next(
        (e for e in locations if _truthy(_get(e, "address")) and not _truthy(address_url(e))),
        None,
    ) or next((e for e in locations if not _truthy(address_url(e))), None)
    online = [address_url(e) for e in locations if _truthy(address_url(e))]
    if physical is not None:
        place: JsonObject = {"place_name": _get(physical, "name")}
        if _truthy(_get(physical, "latitude")) and _truthy(_get(physical, "longitude")):
            place |= {"place_latitude": physical["latitude"]}
            place |= {"place_longitude": physical["longitude"]}
    elif online:
        place = {"place_name": "online"}
    else:
        return None, []
    address = _get(physical, "address")
    if _truthy(address):
        parts = ("streetAddress", "addressLocality", "addressRegion", "addressCountry")
        if isinstance(address, str):
            place["place_address"] = address
        elif any(_truthy(_get(address, part)) for part in parts):
            place["place_address"] = ", ".join(
                address[part] for part in parts if _truthy(_get(address, part))
            )
        elif _truthy(_get(address, "url")):
            place["place_name"] = "online"
    else:
        place["place_address"] = place["place_name"]
    return gancio_find_or_create_place(place), online


def _gancio_image(ap_event: JsonObject) -> str | None:
    """``APEvent?.attachment?.find(a => a?.mediaType.includes('image') && a.url)?.url``."""
    for attachment in ap_event.get("attachment") or []:
        media_type = _get(attachment, "mediaType")
        if not isinstance(media_type, str):
            raise PeerRefused("TypeError: cannot read properties of undefined ('includes')")
        if "image" in media_type and _truthy(attachment.get("url")):
            return str(attachment["url"])
    return None


def _unix(value: Any) -> int:
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())


def gancio_create(message: JsonObject) -> JsonObject:
    """``inbox.js`` ``Create`` → ``parseAPEvent`` (``helpers.js``): the stored event."""
    if message.get("type") == "Announce" and _get(message.get("object"), "type") == "Create":
        message = {**message, "type": "Create", "object": message["object"]["object"]}
    ap_event = message.get("object")
    if message.get("type") != "Create" or _get(ap_event, "type") != "Event":
        raise PeerRefused("Create with unsupported Object")
    for field in ("name", "startTime", "id"):
        if not _truthy(ap_event.get(field)):
            raise PeerRefused(f"{field} required")
    place, online = gancio_parse_place(ap_event)
    tags = ap_event.get("tag")
    return {
        "ap_id": ap_event["id"],
        "title": _trim(ap_event["name"], "name"),
        "start_datetime": _unix(ap_event["startTime"]),
        "end_datetime": _unix(ap_event["endTime"]) if _truthy(ap_event.get("endTime")) else None,
        "description": _nullish(ap_event.get("content"), ap_event.get("summary"), ""),
        "online_locations": online,
        "image_url": _gancio_image(ap_event),
        "place": place,
        "tags": [str(tag["name"])[1:] for tag in tags] if tags else [],
    }


def gancio_update(message: JsonObject, stored: JsonObject) -> JsonObject:
    """``inbox.js`` ``Update`` (object type Event) → ``events.js`` ``update``."""
    ap_event = message.get("object")
    if _get(ap_event, "type") != "Event":
        raise PeerRefused("Unsupported Update")
    if _nullish(_get(ap_event, "id"), ap_event) != stored["ap_id"]:
        raise PeerRefused("Event with this ap_id not found")
    location = ap_event.get("location")
    address = _get(location, "address")
    place = gancio_find_or_create_place(
        {
            "place_name": _get(location, "name"),
            "place_address": _nullish(
                _get(address, "streetAddress"),
                _get(address, "addressLocality"),
                _get(address, "addressCountry"),
                address,
                "",
            ),
            "place_latitude": _get(location, "latitude"),
            "place_longitude": _get(location, "longitude"),
        }
    )
    attachments = ap_event.get("attachment")
    if not isinstance(attachments, list):
        raise PeerRefused("TypeError: cannot read properties of undefined ('length')")
    image_url = None
    if attachments:
        image_url = _get(attachments[0], "url")  # getImageFromURL(encodeURI(url))
        if not isinstance(image_url, str) or not image_url.startswith(("http://", "https://")):
            raise PeerRefused(f"getImageFromURL({image_url!r}) fails")
    if not isinstance(ap_event.get("content"), str):
        raise PeerRefused("linkifyHtml(undefined)")
    return {
        **stored,
        "title": _trim(ap_event.get("name"), "name"),
        "start_datetime": _unix(ap_event["startTime"]),
        "end_datetime": _unix(ap_event["endTime"]) if _truthy(ap_event.get("endTime")) else None,
        "description": ap_event["content"],
        "image_url": image_url,
        "place": place,
        "tags": [str(tag["name"])[1:] for tag in ap_event.get("tag") or []],
    }


def gancio_delete(message: JsonObject) -> str | None:
    """``inbox.js`` ``Delete``: the ap_id of the event removed, or None when Gancio looks for
    an actor or a resource instead (an object that is not typed Event or Tombstone{Event})."""
    obj = message.get("object")
    kind = _get(obj, "type")
    if kind == "Tombstone":
        kind = _nullish(_get(obj, "formerType"), "Tombstone")
    if kind != "Event":
        return None
    return _nullish(_get(obj, "id"), obj)


# Mobilizon -------------------------------------------------------------------------------


def _mobilizon_actors(obj: JsonObject) -> tuple[str, str | None]:
    """``maybe_fetch_actor_and_attributed_to_id``: (organizer, group the event is filed under)."""
    if "actor" in obj and "attributedTo" in obj:
        actor, attributed_to = obj["actor"], obj["attributedTo"]
        if attributed_to is None:
            return actor, None
        if actor is None:
            return attributed_to, None
        if actor != attributed_to:
            return actor, attributed_to
    if "attributedTo" in obj:
        return obj["attributedTo"], None
    raise PeerRefused("no_actor_found")


def mobilizon_address(location: Any) -> JsonObject | None:
    """``get_address`` (``converter/utils.ex``) and ``Converter.Address.as_to_model_data``."""
    if isinstance(location, str):
        location = {"type": "Place", "name": location}
    if location is None:
        return None
    if not isinstance(location, dict):
        raise PeerRefused("FunctionClauseError: no get_address/1 clause for a list")
    address: JsonObject = {"description": location.get("name"), "url": location.get("url")}
    given = location.get("address")
    if isinstance(given, str):
        address["street"] = given
    elif isinstance(given, dict):
        address |= {
            "country": given.get("addressCountry"),
            "postal_code": given.get("postalCode"),
            "region": given.get("addressRegion"),
            "street": given.get("streetAddress"),
            "locality": given.get("addressLocality"),
        }
    latitude, longitude = location.get("latitude"), location.get("longitude")
    address["geom"] = (
        (longitude, latitude)
        if isinstance(latitude, float) and isinstance(longitude, float)
        else None
    )
    return address


def _mobilizon_timezone(obj: JsonObject, address: JsonObject | None) -> str | None:
    """``calculate_timezone`` with ``TimezoneDetector.detect`` (no tz_world lookup here)."""
    if address is None:
        return None
    zone = obj.get("timezone")
    if zone is not None:
        return zone if zone in available_timezones() else "Etc/UTC"
    return None if address["geom"] is None else "detected from the coordinates"


def _mobilizon_online_address(attachments: list[Any]) -> str | None:
    """``get_online_address``: the first ``Link`` named ``Website`` of type text/html."""
    for item in attachments:
        if (
            isinstance(item, dict)
            and item.get("type") == "Link"
            and "href" in item
            and item.get("mediaType") == "text/html"
            and item.get("name") == "Website"
        ):
            return item["href"]
    return None


def _mobilizon_banner(obj: JsonObject) -> str | None:
    """``get_banner_picture``: a ``Banner``-named Document/Image, else ``image``, else the first."""
    attachments = [a for a in obj.get("attachment", []) if a.get("type") in ("Document", "Image")]
    image = obj.get("image") or {}
    named = next((a for a in attachments if a.get("name") == "Banner"), None)
    if named is not None:
        return named.get("url")
    if image.get("type") in ("Document", "Image"):
        return image.get("url")
    return attachments[0].get("url") if attachments else None


def mobilizon_event(obj: JsonObject) -> JsonObject:
    """``Converter.Event.as_to_model_data`` plus the Event changeset's length checks."""
    organizer, group = _mobilizon_actors(obj)
    address = mobilizon_address(obj.get("location"))
    title = obj.get("name")
    if not isinstance(title, str) or not 3 <= len(title) <= 200:
        raise PeerRefused(f"title {title!r} should be 3 to 200 characters")
    status = obj.get("status", obj.get("ical:status", "CONFIRMED"))
    return {
        "title": title,
        "description": obj.get("content"),
        "organizer_actor": organizer,
        "attributed_to": group,
        "begins_on": obj.get("startTime"),
        "ends_on": obj.get("endTime"),
        "timezone": _mobilizon_timezone(obj, address),
        "is_online": obj.get("isOnline") is True,
        "online_address": _mobilizon_online_address(obj.get("attachment", [])),
        "physical_address": address,
        "picture": _mobilizon_banner(obj),
        "status": str(status).lower(),
        "tags": [t["name"].removeprefix("#") for t in obj.get("tag", []) if t["type"] == "Hashtag"],
        "url": obj.get("id"),
    }


def mobilizon_handle(activity: JsonObject) -> JsonObject:
    """``Transmogrifier.handle_incoming`` for Create/Update of an Event (an Update must come
    from the event's origin: ``origin_check?``)."""
    obj = activity.get("object")
    if activity.get("type") not in ("Create", "Update") or _get(obj, "type") != "Event":
        raise PeerRefused("not a Create or Update of an Event")
    if activity["type"] == "Update" and _origin(activity["actor"]) != _origin(obj["id"]):
        raise PeerRefused("origin check failed")
    return mobilizon_event(obj)


def mobilizon_can_manage(actor: str, event: JsonObject) -> bool:
    """``can_manage_event?`` (``transmogrifier.ex``): whether an ``Accept``/``Reject`` of a
    Join from ``actor`` counts (the group when the event is filed under one, else the
    organizer)."""
    if event["attributed_to"] is not None:  # a Group here; Permission needs local members
        return actor == event["attributed_to"]
    return actor == event["organizer_actor"]


def mobilizon_deleted_id(activity: JsonObject) -> str | None:
    """``Delete`` → ``Utils.get_url(object)``; Mobilizon then fetches that id and deletes its
    copy only if the fetch says gone (``group_object_gone_check``)."""
    obj = activity.get("object")
    if isinstance(obj, dict):
        return obj.get("id")
    if isinstance(obj, list):
        return mobilizon_deleted_id({"object": obj[0]})
    return obj if isinstance(obj, str) else None


def _origin(url: str) -> str:
    return "/".join(url.split("/", 3)[:3])


# Friendica -------------------------------------------------------------------------------


def _terms(context: Any) -> dict[str, str]:
    """Inline term definitions of a ``@context`` (prefixes expanded)."""
    found: dict[str, Any] = {}
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            found |= entry
    prefixes = {k: v for k, v in found.items() if isinstance(v, str) and v.endswith(("#", "/"))}

    def expand(term: Any) -> str:
        value = term.get("@id", "") if isinstance(term, dict) else str(term)
        prefix, _, rest = value.partition(":")
        return prefixes[prefix] + rest if prefix in prefixes and rest else value

    return {key: expand(value) for key, value in found.items() if key not in prefixes}


def _iri(key: str, terms: dict[str, str]) -> str:
    """What a key means in JSON-LD: its inline definition, else the ActivityStreams term."""
    if key in terms:
        return terms[key]
    return key if ":" in key else AS + key


def _fetch(obj: JsonObject, name: str, terms: dict[str, str]) -> Any:
    """``JsonLD::fetchElement($object, 'as:<name>', '@value')`` on the compacted activity."""
    return next((v for k, v in obj.items() if _iri(k, terms) == AS + name), None)


def friendica_event(activity: JsonObject) -> JsonObject:
    """``Receiver::getObjectDataFromActivity`` then ``Processor::createEvent`` (or
    ``updateEvent``) and ``processContent``: the event and the post's content warning."""
    terms = _terms(activity.get("@context"))
    obj = _fetch(activity, "object", terms)
    if not isinstance(obj, dict):
        raise PeerRefused("no object")
    terms |= _terms(obj.get("@context"))
    location = _fetch(obj, "location", terms)
    place = location if isinstance(location, dict) and location.get("type") == "Place" else {}
    name, summary = _fetch(obj, "name", terms), _fetch(obj, "summary", terms)
    return {
        "summary": name or summary,  # the event's title
        "desc": _fetch(obj, "content", terms) or "",
        "start": _fetch(obj, "startTime", terms),
        "finish": _fetch(obj, "endTime", terms),
        "location": _fetch(place, "name", terms),
        "content_warning": summary or "",  # <details><summary>: the post starts collapsed
    }


def friendica_deleted_id(activity: JsonObject) -> str | None:
    """``Delete``: ``as:object``'s ``@id`` (the item with that uri is deleted)."""
    obj = activity.get("object")
    return obj.get("id") if isinstance(obj, dict) else obj


# Mastodon --------------------------------------------------------------------------------


def mastodon_status(obj: JsonObject) -> JsonObject:
    """A converted Event as Mastodon shows it: text and media attachments."""
    text = [f"<h2>{obj['name']}</h2>" if obj.get("name") else None, obj.get("summary")]
    text.append(obj.get("url") or obj.get("id"))
    media = [a["url"] for a in obj.get("attachment", []) if isinstance(a, dict) and a.get("url")]
    return {"text": "\n\n".join(part for part in text if part), "media": media}
