"""Group use cases: the one entry point for editing and deleting a group, and for joining and
leaving it, whether the web pages or the API ask. Each holds the permission check, the state
change and the notices (creating a group is :func:`server.services.groups.create_group`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.errors import InvalidInput
from server.i18n import _
from server.models import Group, Membership, User
from server.services import membership as members
from server.services import news
from server.services.groups import GroupFields, delete_group, get_group, group_tags, update_group

#: The new fields of an edited group, from its current ones (a form replaces them all, the
#: API's PATCH changes some).
NewFields = Callable[[GroupFields], Awaitable[GroupFields]]


async def group_for(session: AsyncSession, slug: str, user: User, action: str) -> Group:
    """The group, when ``user`` may do ``action`` in it (Forbidden otherwise)."""
    group = await get_group(session, slug)
    await members.require(session, group, user, action)
    return group


async def current_fields(session: AsyncSession, group: Group) -> GroupFields:
    """The group's editable fields as they stand."""
    return GroupFields(
        name=group.name,
        summary=group.summary_md,
        location=group.location,
        latitude=group.latitude,
        longitude=group.longitude,
        tags=await group_tags(session, group),
        visibility=group.visibility,
        membership_mode=group.membership_mode,
        posting_policy=group.posting_policy,
        language=group.language,
    )


async def edit(session: AsyncSession, slug: str, editor: User, new_fields: NewFields) -> Group:
    """Change a group (its admins, or instance admins); ``new_fields`` is read once the editor
    is known to be one."""
    group = await group_for(session, slug, editor, "edit_group")
    await update_group(session, group, await new_fields(await current_fields(session, group)))
    return group


async def delete(
    session: AsyncSession, slug: str, user: User, *, confirmation: str | None = None
) -> Group:
    """Delete a group (its admins, or instance admins). With ``confirmation`` (the web form
    asks to type the group's name), it must be the group's name."""
    group = await group_for(session, slug, user, "delete_group")
    if confirmation is not None and confirmation.strip().lower() != group.slug:
        raise InvalidInput(_("Type “%(slug)s” to confirm.") % {"slug": group.slug}, field="confirm")
    await delete_group(session, group)
    return group


async def join(
    session: AsyncSession, settings: Settings, slug: str, user: User
) -> tuple[Group, Membership]:
    """Join an open group, or ask to join an approval group (its moderators are told)."""
    group = await get_group(session, slug)
    membership = await members.join_group(session, group, user)
    await news.local_join(session, settings, group, user, membership.state)
    return group, membership


async def leave(session: AsyncSession, slug: str, user: User) -> Group:
    """Leave a group (its last admin must hand over first)."""
    group = await get_group(session, slug)
    await members.leave_group(session, group, user)
    return group
