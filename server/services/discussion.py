"""People on this server join a group's discussions (a proposal's thread): each comment is a
``Note`` by its author, which the group shares like any post it relays (FEP-1b12) — with
its followers, or, in a members-only discussion, with its members only."""

from __future__ import annotations

import json
import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import AS_PUBLIC, JsonObject
from server.db import utcnow
from server.errors import InvalidInput, NotFound
from server.markup import render_markdown
from server.models import Group, RelayedPost, User
from server.services.relay_send import send_relay
from server.services.remote_membership import member_uris
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
        raise InvalidInput("Write something first.", field="content")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"Keep it under {MAX_COMMENT} characters.", field="content")
    author_uri, group_uri = uris.user(author.username), uris.group(group.slug)
    if members_only:
        to, cc = [group_uri, *await member_uris(session, group)], []
    else:
        to, cc = [AS_PUBLIC], [group_uri, f"{author_uri}/followers"]
    note = vocab.build_note(
        id=f"{author_uri}/notes/{uuid.uuid4()}",
        attributed_to=author_uri,
        content=render_markdown(text),
        published=utcnow(),
        to=to,
        cc=cc,
    )
    note["inReplyTo"] = in_reply_to
    note["audience"] = group_uri
    create = vocab.build_create(uris.new_activity(), author_uri, note, to=to, cc=cc)
    post = RelayedPost(
        group_id=group.id or 0,
        object_uri=note["id"],
        actor_uri=author_uri,
        in_reply_to=in_reply_to,
        url=note["id"],
        content_html=note["content"],
        activity_json=json.dumps(create, ensure_ascii=False),
        members_only=members_only,
    )
    session.add(post)
    await session.flush()
    await send_relay(session, uris, group, post)
    return post


async def local_note(session: AsyncSession, uri: str) -> tuple[RelayedPost, JsonObject]:
    """A comment written here, by its URI, with its Note; NotFound if hidden or gone."""
    query = select(RelayedPost).where(RelayedPost.object_uri == uri)
    post = (await session.exec(query)).first()
    if post is None or post.state != "relayed":
        raise NotFound("No such note.")
    note = json.loads(post.activity_json)["object"]
    note["content"] = post.content_html
    return post, note
