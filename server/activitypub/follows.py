"""Follow relationships: answering follows of our actors, and our users following others."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.local import local_actor_by_uri
from server.activitypub.publish import publish
from server.db import utcnow
from server.errors import Conflict, NotFound
from server.i18n import _
from server.models import Follow, FollowState, RemoteActor, User
from server.services.follower_members import admit_follower
from server.uris import LocalUris


async def _remote(session: AsyncSession, uri: str) -> RemoteActor | None:
    return (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()


async def answer_follow(
    session: AsyncSession,
    uris: LocalUris,
    follow: Follow,
    *,
    accept: bool,
    original: JsonObject | None = None,
) -> None:
    """Accept or reject a follow of a local actor, and tell the follower's server."""
    follower = await _remote(session, follow.follower_uri)
    local = await local_actor_by_uri(session, uris, follow.followee_uri)
    if accept:
        follow.state = FollowState.ACCEPTED
        follow.updated_at = utcnow()
        session.add(follow)
        await admit_follower(
            session, uris, follow.follower_uri, follow.followee_uri, follow.activity_uri
        )
    else:
        await session.delete(follow)
    if follower is None or local is None:
        return
    embedded = original or vocab.build_follow(
        follow.activity_uri, follow.follower_uri, follow.followee_uri
    )
    build = vocab.build_accept if accept else vocab.build_reject
    await publish(
        session,
        build(uris.new_activity(), local.uri, embedded, to=[follower.uri]),
        [follower.inbox],
    )


async def pending_requests(
    session: AsyncSession, followee_uri: str
) -> list[tuple[Follow, RemoteActor]]:
    """Follow requests waiting for a moderator, oldest first."""
    query = (
        select(Follow, RemoteActor)
        .join(RemoteActor, col(RemoteActor.uri) == col(Follow.follower_uri))
        .where(Follow.followee_uri == followee_uri, Follow.state == FollowState.PENDING)
        .order_by(col(Follow.created_at))
    )
    return [(follow, actor) for follow, actor in (await session.exec(query)).all()]


async def get_request(session: AsyncSession, followee_uri: str, follow_id: int) -> Follow:
    """One pending follow request of this actor, or NotFound."""
    follow = await session.get(Follow, follow_id)
    if follow is None or follow.followee_uri != followee_uri or follow.state != FollowState.PENDING:
        raise NotFound(_("No such follow request."))
    return follow


async def follow_remote(
    session: AsyncSession, uris: LocalUris, user: User, actor: RemoteActor
) -> Follow:
    """A local user follows a remote actor: pending until their server accepts."""
    follower = uris.user(user.username)
    existing = (
        await session.exec(
            select(Follow).where(Follow.follower_uri == follower, Follow.followee_uri == actor.uri)
        )
    ).first()
    if existing is not None:
        raise Conflict(_("You already follow this account (or asked to)."))
    activity = vocab.build_follow(uris.new_activity(), follower, actor.uri)
    follow = Follow(
        follower_uri=follower,
        followee_uri=actor.uri,
        state=FollowState.PENDING,
        activity_uri=activity["id"],
    )
    session.add(follow)
    await publish(session, activity, [actor.inbox])
    return follow


async def unfollow_remote(
    session: AsyncSession, uris: LocalUris, user: User, actor_uri: str
) -> None:
    """Stop following a remote actor and send Undo(Follow)."""
    follower = uris.user(user.username)
    follow = (
        await session.exec(
            select(Follow).where(Follow.follower_uri == follower, Follow.followee_uri == actor_uri)
        )
    ).first()
    actor = await _remote(session, actor_uri)
    if follow is None or actor is None:
        raise NotFound(_("You don't follow this account."))
    inner = vocab.build_follow(follow.activity_uri, follower, actor_uri)
    await session.delete(follow)
    await publish(
        session,
        vocab.build_undo(uris.new_activity(), follower, inner, to=[actor_uri]),
        [actor.inbox],
    )


async def followed_by(
    session: AsyncSession, uris: LocalUris, user: User
) -> list[tuple[Follow, RemoteActor]]:
    """The remote accounts a user follows (or asked to), by name."""
    query = (
        select(Follow, RemoteActor)
        .join(RemoteActor, col(RemoteActor.uri) == col(Follow.followee_uri))
        .where(Follow.follower_uri == uris.user(user.username))
        .order_by(col(RemoteActor.username))
    )
    return [(follow, actor) for follow, actor in (await session.exec(query)).all()]
