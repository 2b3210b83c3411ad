"""Builders for the activities Hearth sends, and tolerant readers for those it receives.

Every id is passed in by the caller (no global state, no clock): the same inputs give
the same document. Embedded objects lose their own ``@context``; the activity's context
covers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from federation.jsonld import AS_CONTEXT, AS_PUBLIC, SECURITY_CONTEXT, JsonObject, as_list, get_id

Visibility = Literal["public", "unlisted", "followers"]
Reference = str | JsonObject

MASTODON_NS = "http://joinmastodon.org/ns#"
MOBILIZON_NS = "https://joinmobilizon.org/ns#"
SCHEMA_NS = "http://schema.org#"

#: Inline terms: Mastodon's (``app/lib/activitypub/adapter.rb``) and Mobilizon's group
#: terms. Only the two context URLs every peer preloads are referenced by URL.
EXTENSION_TERMS: JsonObject = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "toot": MASTODON_NS,
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "votersCount": "toot:votersCount",
    "schema": SCHEMA_NS,
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "mz": MOBILIZON_NS,
    "members": {"@id": "mz:members", "@type": "@id"},
    "memberCount": "mz:memberCount",
    "openness": "mz:openness",
    "events": {"@id": "mz:events", "@type": "@id"},
    "posts": {"@id": "mz:posts", "@type": "@id"},
    "discussions": {"@id": "mz:discussions", "@type": "@id"},
    "resources": {"@id": "mz:resources", "@type": "@id"},
    "todos": {"@id": "mz:todos", "@type": "@id"},
}


def ld_context(extra_terms: Mapping[str, Any] | None = None) -> list[Any]:
    """A fresh ``@context``: ActivityStreams, security/v1 and the inline term map."""
    terms = {
        name: dict(value) if isinstance(value, dict) else value  # one level deep: a copy
        for name, value in EXTENSION_TERMS.items()  # at a tenth of deepcopy's cost
    } | dict(extra_terms or {})
    return [AS_CONTEXT, SECURITY_CONTEXT, terms]


def format_datetime(moment: datetime) -> str:
    """``2025-05-03T12:00:00Z``: UTC, whole seconds (a naive datetime is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def addressing(visibility: str, followers_uri: str) -> tuple[list[str], list[str]]:
    """``(to, cc)`` for a post: public, unlisted (quiet public) or followers-only."""
    if visibility == "public":
        return [AS_PUBLIC], [followers_uri]
    if visibility == "unlisted":
        return [followers_uri], [AS_PUBLIC]
    if visibility == "followers":
        return [followers_uri], []
    raise ValueError(f"unknown visibility {visibility!r}")


def _embed(value: Reference) -> Reference:
    """An object to embed: a copy without its own ``@context``; a URI as it is."""
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key != "@context"}
    return value


def _activity(
    kind: str,
    id: str,
    actor: str,
    object: Reference,
    *,
    to: Iterable[str] | None = None,
    cc: Iterable[str] | None = None,
    **fields: Any,
) -> JsonObject:
    activity: JsonObject = {"@context": ld_context(), "id": id, "type": kind, "actor": actor}
    activity["object"] = _embed(object)
    if to is not None:
        activity["to"] = list(to)
    if cc is not None:
        activity["cc"] = list(cc)
    activity.update({key: value for key, value in fields.items() if value is not None})
    return activity


def build_follow(
    id: str, actor: str, object: str, *, to: Sequence[str] | None = None
) -> JsonObject:
    """``Follow``: ``actor`` asks to follow ``object`` (addressed to it by default)."""
    return _activity("Follow", id, actor, object, to=[object] if to is None else to)


def build_move(id: str, actor: str, target: str, *, to: Sequence[str]) -> JsonObject:
    """``Move``: ``actor`` now lives at ``target`` (object: the actor itself, as Mastodon's
    ``app/lib/activitypub/activity/move.rb`` requires)."""
    return _activity("Move", id, actor, actor, to=to, target=target)


def _answer(
    kind: str, id: str, actor: str, object: Reference, to: Sequence[str] | None
) -> JsonObject:
    if to is None:
        requester = get_id(object.get("actor")) if isinstance(object, dict) else None
        to = [requester] if requester else []
    return _activity(kind, id, actor, object, to=to)


def build_accept(
    id: str, actor: str, object: Reference, *, to: Sequence[str] | None = None
) -> JsonObject:
    """``Accept`` of a Follow or Join (embed it as received); addressed to its actor."""
    return _answer("Accept", id, actor, object, to)


def build_reject(
    id: str, actor: str, object: Reference, *, to: Sequence[str] | None = None
) -> JsonObject:
    """``Reject`` of a Follow or Join; addressed to its actor."""
    return _answer("Reject", id, actor, object, to)


def build_undo(
    id: str,
    actor: str,
    object: Reference,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
) -> JsonObject:
    """``Undo`` of an earlier activity of ``actor`` (embed it so peers need not fetch it)."""
    return _activity("Undo", id, actor, object, to=to, cc=cc)


def build_member(id: str, person: str, group: str, role: str) -> JsonObject:
    """Mobilizon's ``Member``: ``person``'s membership of ``group`` with its role."""
    return {"id": id, "type": "Member", "actor": person, "object": group, "role": role}


def build_remove(
    id: str, actor: str, object: Reference, *, origin: str, to: Sequence[str]
) -> JsonObject:
    """``Remove`` of ``object`` (a Member) from ``origin`` (the group), as Mobilizon sends."""
    return _activity("Remove", id, actor, object, to=to, origin=origin)


def build_invite(id: str, actor: str, object: str, *, target: str) -> JsonObject:
    """``Invite`` of ``target`` to join ``object`` (a group), addressed to them."""
    return _activity("Invite", id, actor, object, to=[target], target=target)


def _wrap(
    kind: str,
    id: str,
    actor: str,
    object: JsonObject,
    to: Sequence[str] | None,
    cc: Sequence[str] | None,
    published: datetime | None,
) -> JsonObject:
    return _activity(
        kind,
        id,
        actor,
        object,
        to=as_list(object.get("to")) if to is None else to,
        cc=as_list(object.get("cc")) if cc is None else cc,
        published=format_datetime(published) if published else None,
    )


def build_create(
    id: str,
    actor: str,
    object: JsonObject,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    published: datetime | None = None,
) -> JsonObject:
    """``Create`` of an object; addressed like the object unless told otherwise."""
    return _wrap("Create", id, actor, object, to, cc, published)


def build_update(
    id: str,
    actor: str,
    object: JsonObject,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    published: datetime | None = None,
) -> JsonObject:
    """``Update`` of an object (a post, an event, an actor); addressed like the object."""
    return _wrap("Update", id, actor, object, to, cc, published)


def build_delete(
    id: str,
    actor: str,
    object_id: str,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    former_type: str | None = None,
    deleted: datetime | None = None,
) -> JsonObject:
    """``Delete`` whose object is a ``Tombstone`` of ``object_id``."""
    tombstone: JsonObject = {"id": object_id, "type": "Tombstone"}
    if former_type:
        tombstone["formerType"] = former_type
    if deleted:
        tombstone["deleted"] = format_datetime(deleted)
    return _activity("Delete", id, actor, tombstone, to=to, cc=cc)


def build_announce(
    id: str,
    actor: str,
    object: Reference,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    published: datetime | None = None,
    audience: str | None = None,
) -> JsonObject:
    """``Announce`` (boost, or FEP-1b12 relay by a group when ``audience`` is the group)."""
    return _activity(
        "Announce",
        id,
        actor,
        object,
        to=to,
        cc=cc,
        published=format_datetime(published) if published else None,
        audience=audience,
    )


def build_note(
    *,
    id: str,
    attributed_to: str,
    content: str,
    to: Sequence[str],
    cc: Sequence[str],
    published: datetime,
    updated: datetime | None = None,
    url: str | None = None,
    in_reply_to: str | None = None,
    summary: str | None = None,
    sensitive: bool = False,
    audience: str | None = None,
) -> JsonObject:
    """A ``Note`` (``content`` is sanitized HTML); ``updated`` only if later than published."""
    note: JsonObject = {
        "@context": ld_context(),
        "id": id,
        "type": "Note",
        "attributedTo": attributed_to,
        "content": content,
        "published": format_datetime(published),
        "to": list(to),
        "cc": list(cc),
        "sensitive": sensitive,
    }
    optional = {"url": url, "inReplyTo": in_reply_to, "summary": summary, "audience": audience}
    note.update({key: value for key, value in optional.items() if value})
    if updated is not None and format_datetime(updated) > note["published"]:
        note["updated"] = format_datetime(updated)
    return note


def first_id(value: Any) -> str | None:
    """The id of the first reference in a compacted value (string, object or list)."""
    for item in as_list(value):
        ident = get_id(item)
        if ident:
            return ident
    return None


def activity_type(obj: JsonObject) -> str | None:
    """The first type name of an object (``type`` may be a list)."""
    return next((kind for kind in as_list(obj.get("type")) if isinstance(kind, str)), None)


def activity_actor_id(activity: JsonObject) -> str | None:
    """The id of the activity's actor."""
    return first_id(activity.get("actor"))


def activity_object_id(activity: JsonObject) -> str | None:
    """The id of the activity's object, embedded or referenced."""
    return first_id(activity.get("object"))


def embedded_object(activity: JsonObject) -> JsonObject | None:
    """The activity's object if it is embedded (not just a URI)."""
    value = activity.get("object")
    value = value[0] if isinstance(value, list) and value else value
    return value if isinstance(value, dict) else None


def recipient_ids(activity: JsonObject) -> list[str]:
    """Every addressee (``to``, ``cc``, ``bto``, ``bcc``, ``audience``), in order, once."""
    fields = ("to", "cc", "bto", "bcc", "audience")
    ids = (get_id(item) for name in fields for item in as_list(activity.get(name)))
    return list(dict.fromkeys(ident for ident in ids if ident))
