"""Tolerant helpers for compacted JSON-LD as peers send it."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
#: Spellings of the public collection that peers use interchangeably.
PUBLIC_ALIASES = frozenset({AS_PUBLIC, "as:Public", "Public"})
AS_MEDIA_TYPE = "application/activity+json"
LD_MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list: compacted JSON-LD drops arrays of one item."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def get_id(value: Any) -> str | None:
    """Return the id of a reference that is either a URL string or an embedded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


def is_public(addressing: Any) -> bool:
    """Whether a ``to``/``cc`` value addresses the public collection."""
    return any(item in PUBLIC_ALIASES for item in as_list(addressing))
