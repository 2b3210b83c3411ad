"""Incoming ``Like`` and ``Announce`` of a local group post or meetup, and their ``Undo``.

Mastodon sends a favourite as ``Like{id: <actor>#likes/N, object: <status id>}``
(``app/serializers/activitypub/like_serializer.rb``) and a boost as
``Announce{id: <status>/activity, object: <status id>}`` (``activity_serializer.rb``);
their ``Undo`` embeds the activity (``undo_like_serializer.rb``,
``undo_announce_serializer.rb``). Other servers may give the ``Undo`` only the id, which
matches the stored activity id the same way. A like of a meetup's poll (Mastodon shows the
``Question`` as its own status) counts for the meetup. Objects that are not ours are left
to the next handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject, get_id
from server.activitypub.outcomes import Outcome, handled, ignored
from server.inputs import row_id
from server.models import REACTION_KINDS, Event, Group, GroupPost
from server.services import reactions
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor


async def local_target(session: AsyncSession, uris: LocalUris, uri: str) -> str | None:
    """The id of the local post or meetup ``uri`` names (a meetup's poll: the meetup)."""
    if not uris.is_local(uri):
        return None
    pieces = urlsplit(uri).path.strip("/").split("/")
    if pieces[0] == "events" and len(pieces) in (2, 3) and pieces[2:] in ([], ["poll"]):
        number = row_id(pieces[1])
        event = await session.get(Event, number) if number else None
        return uris.event(event.id or 0) if event and event.visibility != "members" else None
    if len(pieces) == 4 and pieces[0] == "groups" and pieces[2] == "posts":
        number = row_id(pieces[3])
        post = await session.get(GroupPost, number) if number else None
        group = await session.get(Group, post.group_id) if post else None
        if post is not None and group is not None and group.slug == pieces[1]:
            return uris.post(group.slug, post.id or 0)
    return None


class ReactionHandler:
    """Counts likes and boosts (see the module docstring)."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.uris: LocalUris = processor.uris

    async def on_reaction(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        target = get_id(activity.get("object"))
        found = await local_target(session, self.uris, target) if target else None
        activity_id = get_id(activity)
        if found is None or not activity_id:
            return None
        kind = str(activity["type"])
        if not await reactions.record(session, kind, activity_id, actor, found):
            return ignored(f"{kind} already counted")
        return handled(f"counted {kind} of {found}")

    async def on_undo(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        inner = activity.get("object")
        kind, target = "", ""
        if isinstance(inner, dict):
            if inner.get("type") not in REACTION_KINDS:
                return None
            if get_id(inner.get("actor")) not in (None, actor):
                return None
            kind = str(inner["type"])
            named = get_id(inner.get("object"))
            target = (await local_target(session, self.uris, named) if named else None) or ""
        removed = await reactions.withdraw(session, actor, get_id(inner), kind, target)
        return handled(f"uncounted ({removed})") if removed else None
