"""Polls from other servers (``Question``): what local users see of them, and their votes —
sent as ``Create{Note{name, inReplyTo}}``, as Mastodon votes, to the poll's author."""

from __future__ import annotations

import json
import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject, as_list
from server.activitypub.publish import publish
from server.db import is_row_id, utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.markup import html_to_text
from server.models import RemoteActor, RemotePost, User
from server.uris import LocalUris

MAX_OPTIONS = 20


def poll_of(note: JsonObject) -> str:
    """The poll part of a received object as stored JSON ("" when it is not a poll)."""
    if note.get("type") != "Question":
        return ""
    choices = [c for c in as_list(note.get("oneOf") or note.get("anyOf")) if isinstance(c, dict)]
    options = [html_to_text(str(c.get("name") or ""))[:100] for c in choices[:MAX_OPTIONS]]
    options = [option for option in options if option]
    if not options:
        return ""
    closed = bool(note.get("closed"))
    end = note.get("endTime") if isinstance(note.get("endTime"), str) else ""
    return json.dumps({"options": options, "end": str(end)[:40], "closed": closed})


def poll_options(post: RemotePost) -> list[str]:
    """The options of a stored poll, or [] when the post is not an open poll."""
    if not post.poll_json:
        return []
    poll = json.loads(post.poll_json)
    return [] if poll.get("closed") else list(poll.get("options", []))


async def vote(
    session: AsyncSession, uris: LocalUris, user: User, post_id: int, option: str
) -> RemotePost:
    """Send the user's vote on a remote poll to its author's server."""
    post = await session.get(RemotePost, post_id) if is_row_id(post_id) else None
    if post is None:
        raise NotFound(_("No such poll."))
    if option not in poll_options(post):
        raise InvalidInput(_("Choose one of the poll's options."), field="option")
    author = (
        await session.exec(select(RemoteActor).where(RemoteActor.uri == post.actor_uri))
    ).first()
    if author is None:
        raise NotFound(_("The poll's author is unknown here."))
    voter = uris.user(user.username)
    note = vocab.build_note(
        id=f"{voter}/votes/{uuid.uuid4()}",
        attributed_to=voter,
        content="",
        to=[author.uri],
        cc=[],
        published=utcnow(),
        in_reply_to=post.uri,
    )
    note["name"] = option
    del note["content"]
    activity = vocab.build_create(uris.new_activity(), voter, note, to=[author.uri], cc=[])
    await publish(session, activity, [author.inbox])
    return post
