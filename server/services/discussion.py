"""People on this server join a group's discussions (a proposal's thread): each comment is a
``Note`` by its author, which the group shares like any post it relays (FEP-1b12) — with
its followers, or, in a members-only discussion, with its members only."""

from __future__ import annotations

import json
import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.markup import render_markdown
from server.models import Group, RelayedPost, RelayState, User
from server.services.outbound import CommentWritten, emit
from server.uris import LocalUris

MAX_COMMENT = 5000


async def comment(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    author: User,
    in_reply_to: str,
    text: str,
    *,
    members_only: bool,
) -> RelayedPost:
    """Post ``text`` (Markdown) in reply to ``in_reply_to`` and have the group share it."""
    if not text.strip():
        raise InvalidInput(_("Write something first."), field="content")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            _("Keep it under %(max_comment)s characters.") % {"max_comment": MAX_COMMENT},
            field="content",
        )
    author_uri = uris.user(author.username)
    note_id = f"{author_uri}/notes/{uuid.uuid4()}"
    post = RelayedPost(
        group_id=group.id or 0,
        object_uri=note_id,
        actor_uri=author_uri,
        in_reply_to=in_reply_to,
        url=note_id,
        content_html=render_markdown(text),
        activity_json="{}",  # the Create the handler of CommentWritten writes and relays
        members_only=members_only,
    )
    session.add(post)
    await session.flush()
    await emit(session, CommentWritten(uris, group, post))
    return post


async def local_note(session: AsyncSession, uri: str) -> tuple[RelayedPost, JsonObject]:
    """A comment written here, by its URI, with its Note; NotFound if hidden or gone."""
    query = select(RelayedPost).where(RelayedPost.object_uri == uri)
    post = (await session.exec(query)).first()
    if post is None or post.state != RelayState.RELAYED:
        raise NotFound(_("No such note."))
    note = json.loads(post.activity_json)["object"]
    note["content"] = post.content_html
    return post, note
