"""What a group sends when it relays a post, and when it takes one back (see
:mod:`server.activitypub.relay`); the handlers of the services' ``PostRelayed``,
``PostUnrelayed`` and ``PostRemovedByModerator`` (:mod:`server.services.outbound`)."""

from __future__ import annotations

import json

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import AS_PUBLIC, JsonObject
from server.activitypub.member_audience import publish_to_members
from server.activitypub.publish import publish_to_followers
from server.db import utcnow
from server.models import Group, RelayedPost
from server.services.outbound import (
    CommentWritten,
    PostRelayed,
    PostRemovedByModerator,
    PostUnrelayed,
    handles,
)
from server.services.remote_membership import member_uris
from server.uris import LocalUris


async def _audience(
    session: AsyncSession, uris: LocalUris, group: Group, post: RelayedPost
) -> tuple[str, list[str], list[str]]:
    """(group, to, cc): the public and the followers; a members-only conversation, the
    members by name."""
    group_uri = uris.group(group.slug)
    if post.members_only:
        return group_uri, await member_uris(session, group), []
    return group_uri, [AS_PUBLIC], [f"{group_uri}/followers"]


async def _deliver(
    session: AsyncSession, group: Group, post: RelayedPost, activity: JsonObject, group_uri: str
) -> None:
    if post.members_only:
        await publish_to_members(session, activity, group)
    else:
        await publish_to_followers(session, activity, group_uri)


async def send_relay(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    post: RelayedPost,
    *,
    activity: JsonObject | None = None,
) -> None:
    """``Announce`` of the activity as received (the post's Create, or ``activity``: an
    Update or Delete of it) with ``audience``; for the Create also ``Announce`` of the
    object's id, which Mastodon shows as the group's boost."""
    group_uri, to, cc = await _audience(session, uris, group, post)
    received = activity if activity is not None else json.loads(post.activity_json)
    relay = vocab.build_announce(
        uris.new_activity(), group_uri, received, to=to, cc=cc, audience=group_uri
    )
    await _deliver(session, group, post, relay, group_uri)
    if activity is not None:
        return
    boost = vocab.build_announce(
        uris.new_activity(), group_uri, post.object_uri, to=to, cc=cc, published=utcnow()
    )
    await _deliver(session, group, post, boost, group_uri)
    post.announce_uri, post.boost_uri = relay["id"], boost["id"]
    session.add(post)


async def send_unrelay(
    session: AsyncSession, uris: LocalUris, group: Group, post: RelayedPost
) -> None:
    """``Undo`` both Announces, so followers' timelines drop the group's boost."""
    group_uri, to, cc = await _audience(session, uris, group, post)
    for announce_uri, announced in (
        (post.boost_uri, post.object_uri),
        (post.announce_uri, json.loads(post.activity_json).get("id")),
    ):
        if not announce_uri:
            continue
        announce = vocab.build_announce(announce_uri, group_uri, announced, to=to, cc=cc)
        undo = vocab.build_undo(uris.new_activity(), group_uri, announce, to=to, cc=cc)
        await _deliver(session, group, post, undo, group_uri)


async def send_removal_by_moderator(
    session: AsyncSession, uris: LocalUris, group: Group, post: RelayedPost
) -> None:
    """A moderator deletes a relayed post from the group: the boost is undone and the group
    announces a ``Delete`` of it (FEP-1b12), so every follower's copy goes."""
    group_uri, to, cc = await _audience(session, uris, group, post)
    delete = vocab.build_delete(uris.new_activity(), group_uri, post.object_uri, to=to, cc=cc)
    relay = vocab.build_announce(
        uris.new_activity(), group_uri, delete, to=to, cc=cc, audience=group_uri
    )
    await _deliver(session, group, post, relay, group_uri)
    await send_unrelay(session, uris, group, post)


@handles(PostRelayed)
async def _relayed(session: AsyncSession, relayed: PostRelayed) -> None:
    await send_relay(session, relayed.uris, relayed.group, relayed.post)


@handles(CommentWritten)
async def send_comment(session: AsyncSession, written: CommentWritten) -> None:
    """The comment as its author's ``Create{Note}`` (kept as the post's ``activity_json``),
    which the group then relays: to the public and the group, or, members-only, to the
    group and its members by name."""
    uris, group, post = written.uris, written.group, written.post
    group_uri = uris.group(group.slug)
    if post.members_only:
        to, cc = [group_uri, *await member_uris(session, group)], []
    else:
        to, cc = [AS_PUBLIC], [group_uri, f"{post.actor_uri}/followers"]
    note = vocab.build_note(
        id=post.object_uri,
        attributed_to=post.actor_uri,
        content=post.content_html,
        published=utcnow(),
        to=to,
        cc=cc,
    )
    note["inReplyTo"] = post.in_reply_to
    note["audience"] = group_uri
    create = vocab.build_create(uris.new_activity(), post.actor_uri, note, to=to, cc=cc)
    post.activity_json = json.dumps(create, ensure_ascii=False)
    session.add(post)
    await send_relay(session, uris, group, post)


@handles(PostUnrelayed)
async def _unrelayed(session: AsyncSession, unrelayed: PostUnrelayed) -> None:
    await send_unrelay(session, unrelayed.uris, unrelayed.group, unrelayed.post)


@handles(PostRemovedByModerator)
async def _removed(session: AsyncSession, removed: PostRemovedByModerator) -> None:
    await send_removal_by_moderator(session, removed.uris, removed.group, removed.post)
