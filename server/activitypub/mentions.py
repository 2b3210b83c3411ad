"""Mentions in what a group publishes: ``@user@host`` resolved through WebFinger (the safe
fetcher, the domain policy), ``@name`` and ``@name@this-host`` to local people and groups;
the ``tag`` array Mastodon reads (``app/lib/activitypub/activity/create.rb``: a ``Mention``
is found by its ``href``, the actor id, a ``Hashtag`` by its ``name``) and the serializer's
shapes (``app/serializers/activitypub/note_serializer.rb``: ``{"type": "Mention", "href":
<actor id>, "name": "@user@domain"}``, ``{"type": "Hashtag", "href": <tag page>, "name":
"#tag"}``). Mentioned people are addressed in ``cc`` and delivered to."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from federation.jsonld import JsonObject
from server.activitypub.remote import Remote, RemoteError
from server.activitypub.runtime import runtime
from server.db import transaction
from server.markup_entities import find_mentions
from server.models import Event, Group, RemoteActor, User, UserState
from server.services.text_entities import Entities, Mentioned
from server.uris import LocalUris

#: More mentions than this in one text are left as text (each costs a WebFinger lookup).
MAX_MENTIONS = 10


async def _local(session: AsyncSession, uris: LocalUris, name: str) -> Mentioned | None:
    user = (await session.exec(select(User).where(User.username == name.lower()))).first()
    if user is not None and user.state == UserState.ACTIVE:
        uri = uris.user(user.username)
        return Mentioned(uri, uri, user.username, f"{user.username}@{uris.domain}")
    group = (await session.exec(select(Group).where(Group.slug == name.lower()))).first()
    if group is not None and group.suspended_at is None:
        uri = uris.group(group.slug)
        return Mentioned(uri, uri, group.slug, f"{group.slug}@{uris.domain}")
    return None


async def resolve_entities(
    remote: Remote, sessions: async_sessionmaker[AsyncSession], uris: LocalUris, text: str
) -> Entities:
    """Resolve the text's mentions (before a transaction opens: this may use the network).
    An account that cannot be found stays plain text, as on Mastodon."""
    entities = Entities(uris)
    for username, domain in find_mentions(text)[:MAX_MENTIONS]:
        host = (domain or uris.domain).lower()
        found: Mentioned | None
        if host == uris.domain.lower():
            async with transaction(sessions) as session:
                found = await _local(session, uris, username)
        else:
            try:
                actor = await remote.actor_by_handle(f"@{username}@{host}")
            except RemoteError:
                continue
            found = Mentioned(
                actor.uri, actor.url or actor.uri, actor.username or username, f"{username}@{host}"
            )
        if found is not None:
            entities.accounts[(username.lower(), host)] = found
    return entities


async def entities_of(request: Request, text: str) -> Entities:
    """:func:`resolve_entities` with the app's fetcher and database (call it after the
    permission checks, outside any transaction)."""
    app = runtime(request)
    return await resolve_entities(app.remote, app.sessions, LocalUris(app.settings), text)


def describe(entities: Entities, text: str) -> tuple[str, str]:
    """The HTML of a text (mentions and hashtags linked) and its ``tag`` array as JSON, the
    two columns a post, meetup or proposal keeps."""
    html, tags = entities.render(text)
    return html, json.dumps(tags, ensure_ascii=False)


def describe_events(events: Sequence[Event], entities: Entities) -> None:
    """Render each meetup's description with its mentions and hashtags (after the meetup
    service wrote it) and keep its ``tag`` array."""
    for event in events:
        event.description_html, event.tags_json = describe(entities, event.description_md)


def stored_tags(tags_json: str, kind: str) -> list[JsonObject]:
    """The ``Mention`` or ``Hashtag`` items of a stored ``tag`` array."""
    try:
        tags = json.loads(tags_json or "[]")
    except ValueError:
        return []
    if not isinstance(tags, list):
        return []
    return [tag for tag in tags if isinstance(tag, dict) and tag.get("type") == kind]


def mentioned_uris(tags_json: str) -> list[str]:
    """The actor ids a stored ``tag`` array mentions."""
    return [str(tag["href"]) for tag in stored_tags(tags_json, "Mention") if tag.get("href")]


def with_mentions(document: JsonObject, tags_json: str, *, address: bool = True) -> JsonObject:
    """The document with the stored mentions in its ``tag`` array and (``address``) its
    ``cc``, as Mastodon addresses the people a status mentions."""
    mentions = stored_tags(tags_json, "Mention")
    if not mentions:
        return document
    document["tag"] = [*document.get("tag", []), *mentions]
    if address:
        known = [*document.get("to", []), *document.get("cc", [])]
        document["cc"] = [
            *document.get("cc", []),
            *(m["href"] for m in mentions if m["href"] not in known),
        ]
    return document


async def mentioned_inboxes(session: AsyncSession, uris: LocalUris, tags_json: str) -> list[str]:
    """Where to deliver so the mentioned people on other servers are notified."""
    remote = [uri for uri in mentioned_uris(tags_json) if not uris.is_local(uri)]
    if not remote:
        return []
    rows = await session.exec(select(RemoteActor).where(col(RemoteActor.uri).in_(remote)))
    return sorted({actor.delivery_inbox for actor in rows.all()})
