"""Group announcements: organizers post as the group; each post federates as a Note
(:mod:`server.activitypub.post_publishing`)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import limits
from server.db import is_row_id, utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.models import POST_VISIBILITIES, Group, GroupPost, User, stored_id
from server.services.outbound import PostDeleted, PostEdited, PostPublished, emit
from server.services.text_entities import Entities
from server.uris import LocalUris

MAX_POST = limits.POST.maximum


def _check(content: str, visibility: str) -> None:
    if not content.strip():
        raise InvalidInput(_("Write something to post."), field="content")
    if len(content) > MAX_POST:
        raise InvalidInput(
            _("Keep posts under %(max_post)s characters.") % {"max_post": MAX_POST}, field="content"
        )
    if visibility not in POST_VISIBILITIES:
        raise InvalidInput(
            _("Visibility is public, unlisted, followers or members."), field="visibility"
        )


def _write(post: GroupPost, content: str, entities: Entities) -> None:
    """Set the post's text, its HTML (mentions and hashtags linked) and its tag array."""
    post.content_md = content
    post.content_html, tags = entities.render(content)
    post.tags_json = json.dumps(tags, ensure_ascii=False)


async def create_post(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    author: User,
    content: str,
    visibility: str,
    entities: Entities | None = None,
) -> GroupPost:
    """Post as the group and send ``Create(Note)`` to its followers and the people it
    mentions (``entities``: resolved beforehand, see ``resolve_entities``)."""
    _check(content, visibility)
    post = GroupPost(
        group_id=stored_id(group),
        author_id=author.id,
        content_md="",
        content_html="",
        visibility=visibility,
    )
    _write(post, content, entities or Entities(uris))
    session.add(post)
    await session.flush()
    await emit(session, PostPublished(uris, group, post))
    return post


async def update_post(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    post: GroupPost,
    content: str,
    entities: Entities | None = None,
) -> GroupPost:
    """Change a post's text and send ``Update(Note)``."""
    _check(content, post.visibility)
    _write(post, content, entities or Entities(uris))
    # Mastodon applies an Update only if ``updated`` is later than what it has, to the second.
    post.updated_at = max(utcnow(), post.published_at + timedelta(seconds=1))
    session.add(post)
    await session.flush()
    await emit(session, PostEdited(uris, group, post))
    return post


async def delete_post(
    session: AsyncSession, uris: LocalUris, group: Group, post: GroupPost
) -> None:
    """Remove a post and send ``Delete`` (with a Tombstone) to followers."""
    await emit(session, PostDeleted(uris, group, post))
    await session.delete(post)


async def get_post(session: AsyncSession, group: Group, post_id: int) -> GroupPost:
    """A post of this group, or NotFound."""
    post = await session.get(GroupPost, post_id) if is_row_id(post_id) else None
    if post is None or post.group_id != group.id:
        raise NotFound(_("No such post."))
    return post


async def list_posts(
    session: AsyncSession, group: Group, *, public_only: bool, offset: int = 0, limit: int = 20
) -> tuple[list[GroupPost], int]:
    """The group's posts, newest first, with the total count."""
    query = select(GroupPost).where(GroupPost.group_id == group.id)
    if public_only:
        query = query.where(col(GroupPost.visibility).in_(("public", "unlisted")))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = await session.exec(
        query.order_by(col(GroupPost.published_at).desc(), col(GroupPost.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total
