"""Actor documents: building ours (Group, Person, Application) and reading others'.

``build_actor`` emits every field Mastodon reads (see PROTOCOL.md) and, for groups,
Mobilizon's membership fields. ``parse_actor`` reads a fetched actor tolerantly (compacted
JSON-LD: single values or lists, icons as string/object/list, ``publicKey`` as a list)
but strictly where trust is at stake: the actor must live on the origin it was fetched
from, its key must be owned by it and hosted on its origin, and its inboxes must be
http(s) URLs. ``summary_html`` is returned unsanitized: the caller sanitizes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from federation.activities import first_id, format_datetime, ld_context
from federation.addresses import is_http_url, same_origin
from federation.jsonld import JsonObject, as_list, get_id

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})


class ActorError(ValueError):
    """A fetched document is not an actor we can trust."""


@dataclass(frozen=True)
class ActorFields:
    """What a local actor document says. Group-only fields are left out for other types."""

    id: str
    type: str
    preferred_username: str
    name: str
    summary: str  # sanitized HTML
    url: str
    inbox: str
    outbox: str
    public_key_pem: str
    followers: str | None = None
    following: str | None = None
    shared_inbox: str | None = None
    featured: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool = True
    indexable: bool = False
    published: datetime | None = None
    icon_url: str | None = None
    image_url: str | None = None
    #: Profile fields shown by Mastodon: name → value (HTML, as Mastodon reads it).
    attachment: Mapping[str, str] = field(default_factory=dict)
    tags: Sequence[str] = ()
    #: The URL of a group's moderators collection: Lemmy reads ``attributedTo`` as exactly
    #: that (``crates/apub/objects/src/utils/protocol.rs``, ``AttributedTo::Lemmy``).
    attributed_to: str | None = None
    members: str | None = None
    member_count: int | None = None
    openness: str | None = None  # open | moderated | invite_only
    location_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    #: Mobilizon's group collections, read from the top level of the actor
    #: (``lib/federation/activity_stream/converter/actor.ex``) and fetched by its refresher.
    events: str | None = None
    posts: str | None = None
    discussions: str | None = None
    resources: str | None = None
    todos: str | None = None


@dataclass(frozen=True)
class RemoteActor:
    """The parts of a remote actor Hearth uses, validated (except ``summary_html``)."""

    id: str
    type: str
    preferred_username: str | None
    name: str | None
    summary_html: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    url: str | None
    icon_url: str | None
    key_id: str | None
    public_key_pem: str | None
    manually_approves_followers: bool


#: The name ``server`` imports, where ``RemoteActor`` is its database model.
RemoteActorInfo = RemoteActor


def key_id_of(actor_id: str) -> str:
    """The id of an actor's main key: ``<actor>#main-key``."""
    return f"{actor_id}#main-key"


def _drop_empty(document: JsonObject) -> JsonObject:
    return {key: value for key, value in document.items() if value is not None and value != []}


def _image(url: str | None) -> JsonObject | None:
    return {"type": "Image", "url": url} if url else None


def _place(fields: ActorFields) -> JsonObject | None:
    if not fields.location_name and fields.latitude is None:
        return None
    place: JsonObject = {"type": "Place", "name": fields.location_name}
    place |= {"latitude": fields.latitude, "longitude": fields.longitude}
    return _drop_empty(place)


def _endpoints(fields: ActorFields) -> JsonObject:
    endpoints: JsonObject = {"sharedInbox": fields.shared_inbox}
    if fields.type == "Group":
        endpoints["members"] = fields.members
    return _drop_empty(endpoints)


def _group_fields(fields: ActorFields) -> JsonObject:
    return {
        "members": fields.members,
        "memberCount": fields.member_count,
        "openness": fields.openness,
        "location": _place(fields),
        "attributedTo": fields.attributed_to,
        "resources": fields.resources,
        "todos": fields.todos,
        "posts": fields.posts,
        "discussions": fields.discussions,
        "events": fields.events,
    }


def build_actor(fields: ActorFields) -> JsonObject:
    """The JSON-LD actor document (serve as ``application/activity+json``)."""
    document: JsonObject = {
        "@context": ld_context(),
        "id": fields.id,
        "type": fields.type,
        "preferredUsername": fields.preferred_username,
        "name": fields.name,
        "summary": fields.summary,
        "url": fields.url,
        "icon": _image(fields.icon_url),
        "image": _image(fields.image_url),
        "inbox": fields.inbox,
        "outbox": fields.outbox,
        "followers": fields.followers,
        "following": fields.following,
        "featured": fields.featured,
        "endpoints": _endpoints(fields) or None,
        "manuallyApprovesFollowers": fields.manually_approves_followers,
        "discoverable": fields.discoverable,
        "indexable": fields.indexable,
        "published": format_datetime(fields.published) if fields.published else None,
        "attachment": [
            {"type": "PropertyValue", "name": name, "value": value}
            for name, value in fields.attachment.items()
        ],
        "tag": [{"type": "Hashtag", "name": f"#{tag.lstrip('#')}"} for tag in fields.tags],
        "publicKey": {
            "id": key_id_of(fields.id),
            "owner": fields.id,
            "publicKeyPem": fields.public_key_pem,
        },
    }
    if fields.type == "Group":
        document |= _group_fields(fields)
    return _drop_empty(document)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _http_url(value: Any) -> str | None:
    """The first http(s) URL in a string, a Link/Image (``href``/``url``) or a list of them."""
    for item in as_list(value):
        if isinstance(item, dict):
            item = item.get("href") or item.get("url")
            if isinstance(item, list | dict):
                item = _http_url(item)
        if is_http_url(item):
            return str(item)
    return None


def _actor_type(obj: JsonObject) -> str:
    for kind in as_list(obj.get("type")):
        if kind in ACTOR_TYPES:
            return str(kind)
    raise ActorError(f"type {obj.get('type')!r} is not an actor type")


def _required_url(obj: JsonObject, name: str) -> str:
    value = first_id(obj.get(name))
    if not is_http_url(value):
        raise ActorError(f"{name} {value!r} is not an http(s) URL")
    return str(value)


def _reference_url(value: Any) -> str | None:
    """An optional collection reference; dropped (not refused) if it is not http(s)."""
    ident = first_id(value)
    return ident if is_http_url(ident) else None


def _shared_inbox(obj: JsonObject) -> str | None:
    endpoints = next((item for item in as_list(obj.get("endpoints")) if isinstance(item, dict)), {})
    shared = first_id(endpoints.get("sharedInbox"))
    if shared is not None and not is_http_url(shared):
        raise ActorError(f"sharedInbox {shared!r} is not an http(s) URL")
    return shared


def _public_key(obj: JsonObject, actor_id: str) -> tuple[str | None, str | None]:
    """``(key id, PEM)`` of the key the actor owns; refuses a key owned by someone else."""
    keys = as_list(obj.get("publicKey"))
    if not keys:
        return None, None
    owned = [
        key for key in keys if not isinstance(key, dict) or get_id(key.get("owner")) == actor_id
    ]
    if not owned:
        raise ActorError(f"publicKey of {actor_id} is owned by another actor")
    key = owned[0]
    key_id = get_id(key)
    if not key_id or not same_origin(key_id, actor_id):
        raise ActorError(f"key {key_id!r} is not on the origin of {actor_id}")
    pem = key.get("publicKeyPem") if isinstance(key, dict) else None
    return key_id, _text(pem)


def parse_actor(obj: Any, fetched_from: str) -> RemoteActor:
    """Validate and read an actor document fetched from ``fetched_from``; ``ActorError``."""
    if not isinstance(obj, dict):
        raise ActorError("an actor is a JSON object")
    actor_id = obj.get("id")
    if not isinstance(actor_id, str) or not is_http_url(actor_id):
        raise ActorError(f"id {actor_id!r} is not an http(s) URL")
    if not same_origin(actor_id, fetched_from):
        raise ActorError(f"{actor_id} was served by {fetched_from}, another origin")
    key_id, pem = _public_key(obj, actor_id)
    return RemoteActor(
        id=actor_id,
        type=_actor_type(obj),
        preferred_username=_text(obj.get("preferredUsername")),
        name=_text(obj.get("name")),
        summary_html=_text(obj.get("summary")),
        inbox=_required_url(obj, "inbox"),
        shared_inbox=_shared_inbox(obj),
        outbox=_reference_url(obj.get("outbox")),
        followers=_reference_url(obj.get("followers")),
        url=_http_url(obj.get("url")),
        icon_url=_http_url(obj.get("icon")),
        key_id=key_id,
        public_key_pem=pem,
        manually_approves_followers=obj.get("manuallyApprovesFollowers") is True,
    )
