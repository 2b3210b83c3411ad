"""Federating a group's own posts: each is a ``Note`` by the group — ``Create`` when posted,
``Update`` when edited, ``Delete`` when removed — sent to its followers and the people it
mentions, or, members-only, to its members by name. The handlers of the services'
``PostPublished``, ``PostEdited`` and ``PostDeleted`` (:mod:`server.services.outbound`)."""

from __future__ import annotations

import json

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.member_audience import publish_to_members
from server.activitypub.mentions import mentioned_inboxes, mentioned_uris
from server.activitypub.publish import publish_to_followers
from server.models import Group, GroupPost
from server.services.outbound import PostDeleted, PostEdited, PostPublished, handles
from server.services.remote_membership import member_uris
from server.uris import LocalUris


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


@handles(PostPublished)
async def send_create(session: AsyncSession, published: PostPublished) -> None:
    await _federate(session, published.uris, published.group, published.post, "Create")


@handles(PostEdited)
async def send_update(session: AsyncSession, edited: PostEdited) -> None:
    await _federate(session, edited.uris, edited.group, edited.post, "Update")


@handles(PostDeleted)
async def send_delete(session: AsyncSession, deleted: PostDeleted) -> None:
    """``Delete`` of the post's Note, to those who had it."""
    uris, group, post = deleted.uris, deleted.group, deleted.post
    to, cc = await _addressing(session, uris, group, post)
    activity = vocab.build_delete(
        uris.new_activity(),
        uris.group(group.slug),
        uris.post(group.slug, post.id or 0),
        to=to,
        cc=cc,
    )
    await _send(session, uris, group, post, activity)


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
