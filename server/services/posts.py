"""Group announcements: organizers post as the group; each post federates as a Note."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.member_audience import publish_to_members
from server.activitypub.mentions import Entities, mentioned_inboxes, mentioned_uris
from server.activitypub.publish import publish_to_followers
from server.db import is_row_id, utcnow
from server.errors import InvalidInput, NotFound
from server.models import POST_VISIBILITIES, Group, GroupPost, User, stored_id
from server.services.remote_membership import member_uris
from server.uris import LocalUris

MAX_POST = 5000


def _check(content: str, visibility: str) -> None:
    if not content.strip():
        raise InvalidInput("Write something to post.", field="content")
    if len(content) > MAX_POST:
        raise InvalidInput(f"Keep posts under {MAX_POST} characters.", field="content")
    if visibility not in POST_VISIBILITIES:
        raise InvalidInput(
            "Visibility is public, unlisted, followers or members.", field="visibility"
        )


async def _addressing(
    session: AsyncSession, uris: LocalUris, group: Group, post: GroupPost
) -> tuple[list[str], list[str]]:
    """Members-only: the members by name. Otherwise the visibility's addressing, plus the
    people mentioned in ``cc`` (as Mastodon addresses its mentions)."""
    if post.visibility == "members":
        return await member_uris(session, group), []
    to, cc = vocab.addressing(post.visibility, f"{uris.group(group.slug)}/followers")
    return to, cc + [uri for uri in mentioned_uris(post.tags_json) if uri not in to + cc]


def _tags(post: GroupPost) -> list[JsonObject]:
    try:
        tags = json.loads(post.tags_json or "[]")
    except ValueError:
        return []
    return tags if isinstance(tags, list) else []


def _write(post: GroupPost, content: str, entities: Entities) -> None:
    """Set the post's text, its HTML (mentions and hashtags linked) and its tag array."""
    post.content_md = content
    post.content_html, tags = entities.render(content)
    post.tags_json = json.dumps(tags, ensure_ascii=False)


async def note_for(
    session: AsyncSession, uris: LocalUris, group: Group, post: GroupPost
) -> JsonObject:
    """The Note a group post federates as (members-only: addressed to the members)."""
    to, cc = await _addressing(session, uris, group, post)
    group_uri = uris.group(group.slug)
    note = vocab.build_note(
        id=uris.post(group.slug, post.id or 0),
        attributed_to=group_uri,
        content=post.content_html,
        published=post.published_at,
        updated=post.updated_at,
        to=to,
        cc=cc,
        url=uris.post(group.slug, post.id or 0),
    )
    if tags := _tags(post):
        note["tag"] = tags
    return note


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
    await _federate(session, uris, group, post, "Create")
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
    await _federate(session, uris, group, post, "Update")
    return post


async def delete_post(
    session: AsyncSession, uris: LocalUris, group: Group, post: GroupPost
) -> None:
    """Remove a post and send ``Delete`` (with a Tombstone) to followers."""
    group_uri = uris.group(group.slug)
    to, cc = await _addressing(session, uris, group, post)
    activity = vocab.build_delete(
        uris.new_activity(), group_uri, uris.post(group.slug, post.id or 0), to=to, cc=cc
    )
    await _send(session, uris, group, post, activity)
    await session.delete(post)


async def _federate(
    session: AsyncSession, uris: LocalUris, group: Group, post: GroupPost, kind: str
) -> None:
    note = await note_for(session, uris, group, post)
    build = vocab.build_create if kind == "Create" else vocab.build_update
    activity = build(uris.new_activity(), note["attributedTo"], note, to=note["to"], cc=note["cc"])
    await _send(session, uris, group, post, activity)


async def _send(
    session: AsyncSession, uris: LocalUris, group: Group, post: GroupPost, activity: JsonObject
) -> None:
    if post.visibility == "members":
        await publish_to_members(session, activity, group)
    else:
        extra = await mentioned_inboxes(session, uris, post.tags_json)
        await publish_to_followers(session, activity, uris.group(group.slug), extra=extra)


async def get_post(session: AsyncSession, group: Group, post_id: int) -> GroupPost:
    """A post of this group, or NotFound."""
    post = await session.get(GroupPost, post_id) if is_row_id(post_id) else None
    if post is None or post.group_id != group.id:
        raise NotFound("No such post.")
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
