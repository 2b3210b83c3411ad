"""Moving actors: a local group announcing its move (``Move`` to its followers, ``movedTo``),
and following a remote actor's move (re-follow the target), as Mastodon does.

Also the list of groups that moved away, which the pages of a moved group read to redirect
browsers (``server.web.group_moved``).

Mastodon's ``app/lib/activitypub/activity/move.rb`` accepts a Move only when ``object`` is the
sender and the fetched target lists the sender in ``alsoKnownAs``; its ``MoveWorker`` then
has each local follower unfollow the origin and follow the target
(``UnfollowFollowWorker``). Hearth does the same for the groups and people its users follow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject, as_list, get_id
from server.activitypub.outcomes import Outcome, handled, ignored, refused
from server.activitypub.publish import publish, publish_to_followers
from server.activitypub.remote import Remote, RemoteError
from server.activitypub.runtime import Runtime
from server.db import transaction, utcnow
from server.errors import Conflict, InvalidInput
from server.i18n import _
from server.models import (
    Follow,
    Group,
    Membership,
    MembershipState,
    RemoteActor,
    RemoteMember,
    User,
    read_id,
)
from server.services import membership as members
from server.services.groups import get_group
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor

#: How long a process trusts its list of moved groups (a move in another process shows
#: up after this; in this one at once).
CACHE_SECONDS = 30.0


@dataclass
class MovedGroups:
    """The groups that moved: by slug and by id, with when the list was read."""

    read_at: float = 0.0
    by_slug: dict[str, str] = field(default_factory=dict)
    by_id: dict[int, str] = field(default_factory=dict)


def forget_moves(runtime: Runtime) -> None:
    """Read the list of moved groups again on the next request (after a move)."""
    runtime.moved_groups = None


async def moved_groups(runtime: Runtime) -> MovedGroups:
    """The groups that moved, as this process last read them (at most CACHE_SECONDS ago)."""
    known = runtime.moved_groups
    if known is not None and time.monotonic() - known.read_at < CACHE_SECONDS:
        return known
    fresh = MovedGroups(read_at=time.monotonic())
    async with transaction(runtime.sessions) as session:
        query = select(Group.id, Group.slug, Group.moved_to).where(col(Group.moved_to) != "")
        for group_id, slug, moved_to in (await session.exec(query)).all():
            fresh.by_slug[slug] = moved_to
            fresh.by_id[read_id(group_id)] = moved_to
    runtime.moved_groups = fresh
    return fresh


def lists_origin(document: JsonObject, origin: str) -> bool:
    """Whether an actor document names ``origin`` in its ``alsoKnownAs``."""
    return origin in {get_id(item) for item in as_list(document.get("alsoKnownAs"))}


async def check_target(remote: Remote, origin: str, target: str) -> RemoteActor:
    """Fetch the actor a group moves to; it must list the group in ``alsoKnownAs``."""
    if not target.startswith("https://") and not target.startswith("http://"):
        raise InvalidInput(_("Give the new group's address (https://…)."), field="target")
    if target == origin:
        raise InvalidInput(_("That is this group's own address."), field="target")
    try:
        document = await remote.fetch(target)
        if not lists_origin(document, origin):
            raise InvalidInput(
                _(
                    "%(target)s does not list %(origin)s in alsoKnownAs: import the group's "
                    "archive there first."
                )
                % {"target": target, "origin": origin},
                field="target",
            )
        return await remote.store_actor(document, target)
    except RemoteError as exc:
        raise InvalidInput(
            _("Could not read the new group: %(problem)s") % {"problem": exc}, field="target"
        ) from None


async def _local_members(session: AsyncSession, group: Group) -> list[User]:
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(Membership.group_id == group.id, Membership.state == MembershipState.ACTIVE)
    )
    return list((await session.exec(query)).all())


async def _member_inboxes(session: AsyncSession, group: Group) -> list[str]:
    query = (
        select(RemoteActor)
        .join(RemoteMember, RemoteMember.actor_uri == RemoteActor.uri)  # type: ignore[arg-type]
        .where(RemoteMember.group_id == group.id, RemoteMember.state == MembershipState.ACTIVE)
    )
    return [actor.delivery_inbox for actor in (await session.exec(query)).all()]


async def _follow(
    session: AsyncSession, uris: LocalUris, follower: str, target: RemoteActor
) -> None:
    """``follower`` (a local actor) follows ``target`` unless it already does."""
    existing = (
        await session.exec(
            select(Follow).where(Follow.follower_uri == follower, Follow.followee_uri == target.uri)
        )
    ).first()
    if existing is not None:
        return
    activity = vocab.build_follow(uris.new_activity(), follower, target.uri)
    session.add(Follow(follower_uri=follower, followee_uri=target.uri, activity_uri=activity["id"]))
    await publish(session, activity, [target.inbox])


async def announce_move(
    session: AsyncSession, uris: LocalUris, group: Group, target: RemoteActor
) -> None:
    """Point the group at its new home: ``movedTo``, ``Move`` to followers and remote members,
    and the local members follow the new group."""
    if group.moved_to:
        raise Conflict(
            _("This group already moved to %(target)s.") % {"target": group.moved_to},
            field="target",
        )
    origin = uris.group(group.slug)
    group.moved_to = target.uri
    group.updated_at = utcnow()
    session.add(group)
    move = vocab.build_move(uris.new_activity(), origin, target.uri, to=[f"{origin}/followers"])
    await publish_to_followers(session, move, origin, await _member_inboxes(session, group))
    for user in await _local_members(session, group):
        await _follow(session, uris, uris.user(user.username), target)


async def move_group(runtime: Runtime, user: User, slug: str, target: str) -> Group:
    """Announce that the local group ``slug`` now lives at ``target`` (the web form and the
    API): ``user`` must be allowed to edit it, it must not have moved yet, and ``target``
    must list it in ``alsoKnownAs``."""
    uris = LocalUris(runtime.settings)
    async with transaction(runtime.sessions) as session:
        group = await get_group(session, slug)
        await members.require(session, group, user, "edit_group")
        if group.moved_to:
            raise Conflict(
                _("This group already moved to %(target)s.") % {"target": group.moved_to},
                field="target",
            )
    new_home = await check_target(runtime.remote, uris.group(slug), target)
    async with transaction(runtime.sessions) as session:
        group = await get_group(session, slug)
        await announce_move(session, uris, group, new_home)
    forget_moves(runtime)
    runtime.read_cache.clear()
    return group


class MoveHandler:
    """Handles an incoming ``Move`` of an actor local users follow."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.remote: Remote = processor.remote
        self.uris: LocalUris = processor.uris

    async def _local_follows(self, session: AsyncSession, origin: str) -> list[Follow]:
        rows = await session.exec(select(Follow).where(Follow.followee_uri == origin))
        return [follow for follow in rows.all() if self.uris.is_local(follow.follower_uri)]

    async def on_move(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        if get_id(activity.get("object")) != actor:
            return ignored("a Move of another actor than its sender")
        target_uri = get_id(activity.get("target")) or ""
        follows = await self._local_follows(session, actor)
        if not follows:
            return ignored("nobody here follows the actor that moved")
        if not target_uri or self.uris.is_local(target_uri):
            return refused("refused: the Move has no remote target")
        document = await self.remote.fetch(target_uri)
        if not lists_origin(document, actor):
            return refused("refused: the target does not list the origin in alsoKnownAs")
        target = await self.remote.store_actor(document, target_uri)
        origin = await session.exec(select(RemoteActor).where(RemoteActor.uri == actor))
        origin_actor = origin.first()
        for follow in follows:
            if origin_actor is not None:
                inner = vocab.build_follow(follow.activity_uri, follow.follower_uri, actor)
                undo = vocab.build_undo(
                    self.uris.new_activity(), follow.follower_uri, inner, to=[actor]
                )
                await publish(session, undo, [origin_actor.inbox])
            await session.delete(follow)
            await _follow(session, self.uris, follow.follower_uri, target)
        return handled(f"moved {len(follows)} follow(s) to {target.uri}")
