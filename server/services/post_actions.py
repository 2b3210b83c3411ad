"""Group post use cases: the one entry point for posting as the group, editing a post and
deleting it, whether the web page or the API asks. Each holds the permission check (the
group's organizers: ``post_as_group``), the change through :mod:`server.services.posts` and
the recording of what federates.

The accounts a text mentions are looked up by the caller beforehand, outside any transaction
(WebFinger on other servers), and only for someone :func:`posting_group` lets post; they are
handed in as ``entities``."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import Group, GroupPost, User
from server.services import membership as members
from server.services.groups import get_group
from server.services.posts import create_post, delete_post, get_post, update_post
from server.services.text_entities import Entities
from server.uris import LocalUris


async def posting_group(session: AsyncSession, slug: str, user: User) -> Group:
    """The group, when ``user`` may post as it (Forbidden otherwise)."""
    group = await get_group(session, slug)
    await members.require(session, group, user, "post_as_group")
    return group


async def group_post(
    session: AsyncSession, slug: str, user: User, post_id: int
) -> tuple[Group, GroupPost]:
    """A post of the group, for someone who may post as it."""
    group = await posting_group(session, slug, user)
    return group, await get_post(session, group, post_id)


async def publish(
    session: AsyncSession,
    settings: Settings,
    slug: str,
    author: User,
    content: str,
    visibility: str,
    entities: Entities,
) -> tuple[Group, GroupPost]:
    """Post as the group; its followers (or members) and the people mentioned get it."""
    group = await posting_group(session, slug, author)
    post = await create_post(
        session, LocalUris(settings), group, author, content, visibility, entities
    )
    return group, post


async def edit(
    session: AsyncSession,
    settings: Settings,
    slug: str,
    editor: User,
    post_id: int,
    content: str,
    entities: Entities,
) -> tuple[Group, GroupPost]:
    """Change a post's text; those who have it get an Update."""
    group, post = await group_post(session, slug, editor, post_id)
    await update_post(session, LocalUris(settings), group, post, content, entities)
    return group, post


async def delete(
    session: AsyncSession, settings: Settings, slug: str, user: User, post_id: int
) -> Group:
    """Delete a post; those who have it get a Delete."""
    group, post = await group_post(session, slug, user, post_id)
    await delete_post(session, LocalUris(settings), group, post)
    return group
