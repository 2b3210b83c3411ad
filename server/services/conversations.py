"""A group's conversations: the posts it relays, threaded, and what moderators do with them
(approve a held post, hide one, delete one, block its author). Each action is written to
the audit log, and federates (see :mod:`server.activitypub.relay_send`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import is_row_id, utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.markup import html_to_text
from server.models import Group, GroupBlock, RelayedPost, RelayState, RemoteActor, User
from server.services.audit import audit
from server.services.outbound import PostRelayed, PostRemovedByModerator, PostUnrelayed, emit
from server.services.post_shape import Attachment, attachments_from_json
from server.uris import LocalUris

MODERATOR_ACTIONS = ("approve", "hide", "delete", "block")
#: Posts longer than this (in characters of text) are shortened on the page, with a link
#: to the original; the shortened text keeps :data:`EXCERPT` characters.
LONG_POST = 2500
EXCERPT = 600


@dataclass
class Shown:
    """A relayed post as the group page shows it, with its author and its replies."""

    post: RelayedPost
    author: RemoteActor | None
    replies: list[Shown] = field(default_factory=list)

    @property
    def author_name(self) -> str:
        if self.author is None:  # someone on this server: their username
            return self.post.actor_uri.rsplit("/", 1)[-1]
        return self.author.name or self.author.username or self.author.uri

    @property
    def author_handle(self) -> str:
        return self.author.handle if self.author else f"@{self.author_name}"

    @cached_property
    def attachments(self) -> list[Attachment]:
        """The post's attachments (images cached here, the rest as links)."""
        return attachments_from_json(self.post.attachments_json)

    @cached_property
    def excerpt(self) -> str:
        """For a very long post, its first words as plain text (shown instead of the whole
        post, with a link to the original); empty for a post shown whole."""
        text = html_to_text(self.post.content_html)
        if len(text) <= LONG_POST:
            return ""
        return text[:EXCERPT].rsplit(" ", 1)[0] + "…"


async def _shown(session: AsyncSession, group: Group, state: RelayState) -> list[Shown]:
    query = (
        select(RelayedPost, RemoteActor)
        .outerjoin(RemoteActor, col(RemoteActor.uri) == col(RelayedPost.actor_uri))
        .where(RelayedPost.group_id == group.id, RelayedPost.state == state)
        .order_by(col(RelayedPost.published_at), col(RelayedPost.id))
        .limit(500)
    )
    return [Shown(post, actor) for post, actor in (await session.exec(query)).all()]


async def threads(session: AsyncSession, group: Group, *, limit: int = 20) -> list[Shown]:
    """The relayed conversations, newest first, each with its replies (oldest first)."""
    shown = await _shown(session, group, RelayState.RELAYED)
    by_uri = {item.post.object_uri: item for item in shown}
    roots: list[Shown] = []
    for item in shown:
        parent = by_uri.get(item.post.in_reply_to)
        (parent.replies if parent is not None else roots).append(item)
    return list(reversed(roots))[:limit]


async def held(session: AsyncSession, group: Group) -> list[Shown]:
    """Posts waiting for a moderator (moderated groups), oldest first."""
    return await _shown(session, group, RelayState.HELD)


async def held_count(session: AsyncSession, group: Group) -> int:
    """How many posts wait for a moderator."""
    query = select(func.count()).where(
        RelayedPost.group_id == group.id, RelayedPost.state == RelayState.HELD
    )
    return int((await session.exec(query)).one())


async def blocked(session: AsyncSession, group: Group) -> list[GroupBlock]:
    """Accounts the group blocked."""
    query = select(GroupBlock).where(GroupBlock.group_id == group.id)
    return list((await session.exec(query.order_by(col(GroupBlock.id)))).all())


async def get_relayed(session: AsyncSession, group: Group, post_id: int) -> RelayedPost:
    """A relayed (or held, or hidden) post of the group, or NotFound."""
    post = await session.get(RelayedPost, post_id) if is_row_id(post_id) else None
    if post is None or post.group_id != group.id:
        raise NotFound(_("No such post."))
    return post


async def moderate(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    post: RelayedPost,
    action: str,
    moderator: User,
) -> str:
    """Apply a moderator's action to a relayed post; returns what people are told."""
    if action not in MODERATOR_ACTIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    audit(session, moderator, f"group.{action}", post.object_uri, f"group {group.slug}")
    if action == "approve":
        if post.state != RelayState.HELD:
            raise InvalidInput(_("This post is not waiting for review."))
        post.state = RelayState.RELAYED
        await emit(session, PostRelayed(uris, group, post))
        message = _("Approved: the post was shared with the group's followers.")
    elif action == "hide":
        if post.state == RelayState.RELAYED:
            await emit(session, PostUnrelayed(uris, group, post))
        post.state = RelayState.HIDDEN
        message = _("Hidden from the group.")
    elif action == "delete":
        if post.state == RelayState.RELAYED:
            await emit(session, PostRemovedByModerator(uris, group, post))
        await session.delete(post)
        return _("Deleted from the group.")
    else:
        message = await block_author(session, uris, group, post.actor_uri)
    post.updated_at = utcnow()
    session.add(post)
    return message


async def block_author(session: AsyncSession, uris: LocalUris, group: Group, actor_uri: str) -> str:
    """Block an account from the group: its relayed posts are taken back, nothing new of
    theirs is relayed."""
    exists = select(GroupBlock.id).where(
        GroupBlock.group_id == group.id, GroupBlock.actor_uri == actor_uri
    )
    if (await session.exec(exists)).first() is None:
        session.add(GroupBlock(group_id=group.id or 0, actor_uri=actor_uri))
    query = select(RelayedPost).where(
        RelayedPost.group_id == group.id, RelayedPost.actor_uri == actor_uri
    )
    for post in (await session.exec(query)).all():
        if post.state == RelayState.RELAYED:
            await emit(session, PostUnrelayed(uris, group, post))
        post.state = RelayState.HIDDEN
        session.add(post)
    return _("Blocked: nothing of theirs will be shared by the group.")


async def unblock(session: AsyncSession, group: Group, block_id: int, moderator: User) -> None:
    """Lift a block."""
    block = await session.get(GroupBlock, block_id) if is_row_id(block_id) else None
    if block is None or block.group_id != group.id:
        raise NotFound(_("No such block."))
    audit(session, moderator, "group.unblock", block.actor_uri, f"group {group.slug}")
    await session.delete(block)


async def replies_to(session: AsyncSession, group: Group, *root_uris: str) -> list[Shown]:
    """The discussion under ``root_uris`` (a proposal; a meetup and its poll): replies,
    oldest first, each with its own."""
    shown = await _shown(session, group, RelayState.RELAYED)
    children: dict[str, list[Shown]] = {}
    for item in shown:
        children.setdefault(item.post.in_reply_to, []).append(item)
    for item in shown:
        item.replies = children.get(item.post.object_uri, [])
    found = [item for uri in root_uris for item in children.get(uri, [])]
    return sorted(found, key=lambda item: (item.post.published_at, item.post.id or 0))
