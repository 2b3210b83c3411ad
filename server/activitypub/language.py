"""The language of what Hearth federates for a group, and Mastodon's language maps.

A group writes in its language (``Group.language``, else the instance's): the texts Hearth
composes for it (meetup summaries, polls and their options, direct messages, minutes) are
written with ``use_locale(group_language(...))`` and carry language maps beside the plain
values, as Mastodon sends them (``app/serializers/activitypub/note_serializer.rb``:
``content`` plus ``contentMap: {language => content}``), so peers show the language and
filter by it. Mastodon reads ``contentMap``, ``summaryMap`` and ``nameMap`` when the plain
value is missing (``app/lib/activitypub/parser/status_parser.rb``); we send both.
"""

from __future__ import annotations

from federation.jsonld import JsonObject
from server.i18n import content_language
from server.models import Group
from server.uris import LocalUris

#: The plain keys that get a language map (``content`` -> ``contentMap`` ...).
MAPPED_KEYS = ("content", "summary", "name")


def group_language(uris: LocalUris, group: Group) -> str:
    """The language the group writes in: its own, else the instance's ("fr")."""
    return content_language(group.language, uris.settings.instance.language)


def with_language(
    document: JsonObject, language: str, keys: tuple[str, ...] = MAPPED_KEYS
) -> JsonObject:
    """``document`` with ``contentMap``/``summaryMap``/``nameMap`` for its text values."""
    for key in keys:
        value = document.get(key)
        if isinstance(value, str) and value:
            document[f"{key}Map"] = {language: value}
    return document
