"""Follow relationships: answering follows of our actors, and our users following others."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Executable, bindparam, case
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.publish import publish
from server.db import UTCDateTime, dialect_of, insert_new, utcnow
from server.errors import Conflict, NotFound
from server.i18n import _
from server.models import Follow, FollowState, Group, RemoteActor, User, UserState
from server.services.follower_members import admit_follower
from server.uris import LocalUris


async def _remote(session: AsyncSession, uri: str) -> RemoteActor | None:
    return (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()


@dataclass(frozen=True)
class Followee:
    """A local group or user someone follows: its URI and, for a group, the group."""

    uri: str
    group: Group | None = None


# Statements run for each Follow are built once, with parameters: building one and its
# cache key costs more CPU than running it.
_GROUP = select(Group).where(col(Group.slug) == bindparam("slug"))
_ACTIVE_USER = select(User.id).where(
    col(User.username) == bindparam("username"), User.state == UserState.ACTIVE
)
_INBOX = select(RemoteActor.inbox).where(col(RemoteActor.uri) == bindparam("uri"))
_FOLLOWED = col(Follow.state).in_((FollowState.ACCEPTED, FollowState.MOVING))
_FOLLOW_AGAIN = (
    update(Follow)
    .where(
        col(Follow.follower_uri) == bindparam("follower"),
        col(Follow.followee_uri) == bindparam("followee"),
    )
    .values(
        activity_uri=bindparam("activity_uri"),
        updated_at=bindparam("now", type_=UTCDateTime()),
        state=case((_FOLLOWED, FollowState.ACCEPTED.value), else_=bindparam("asked")),
    )
    .returning(col(Follow.state))
)


@cache
def _new_follow(dialect: str) -> Executable:
    """The follow's ``INSERT … ON CONFLICT DO NOTHING RETURNING id``, built once."""
    new = insert_new(dialect, Follow, keys=("follower_uri", "followee_uri"))
    return new.returning(col(Follow.id))


async def local_followee(session: AsyncSession, uris: LocalUris, uri: str) -> Followee | None:
    """The local group, or active user, that ``uri`` names (one read), if any."""
    found = uris.local_actor_path(uri.split("#", 1)[0])
    if found is None:
        return None
    kind, name = found
    if kind == "groups":
        group = (await session.exec(_GROUP, params={"slug": name})).first()
        return Followee(uris.group(group.slug), group) if group else None
    if kind == "users":
        user = (await session.exec(_ACTIVE_USER, params={"username": name})).first()
        return Followee(uris.user(name)) if user else None
    return None


async def record_follow(
    session: AsyncSession, follower: str, followee: str, activity_uri: str, *, manual: bool
) -> FollowState:
    """Store ``follower``'s follow of ``followee`` (sent as ``activity_uri``) and return its
    state: a new one is accepted, or pending when a moderator must approve it (``manual``);
    an accepted one stays accepted, and one carried over from a moved group's old home
    (moving) is accepted without asking. One statement for a new follower."""
    asked = FollowState.PENDING if manual else FollowState.ACCEPTED
    now = utcnow()
    row = {
        "follower_uri": follower,
        "followee_uri": followee,
        "state": asked,
        "activity_uri": activity_uri,
        "created_at": now,
        "updated_at": now,
    }
    connection = await session.connection()
    if (await connection.execute(_new_follow(dialect_of(session)), row)).first() is not None:
        return asked
    again = {
        "follower": follower,
        "followee": followee,
        "activity_uri": activity_uri,
        "now": now,
        "asked": asked.value,
    }
    known = (await connection.execute(_FOLLOW_AGAIN, again)).scalar()
    if known is None:  # undone between the two statements: the activity is tried again
        raise LookupError(f"the follow of {followee} by {follower} is gone")
    return FollowState(known)


async def send_answer(
    session: AsyncSession,
    uris: LocalUris,
    followee: Followee,
    follower: str,
    activity_uri: str,
    *,
    accept: bool,
    original: JsonObject | None = None,
    inbox: str | None = None,
) -> None:
    """Tell ``follower``'s server that ``followee`` accepts (a follower of a group that
    approves its members becomes a member) or rejects their follow ``activity_uri``
    (``original``: the Follow as received, embedded in the answer), at ``inbox`` if the
    caller knows it, else at the follower's stored inbox."""
    if accept and followee.group is not None:
        await admit_follower(session, uris, followee.group, follower, activity_uri)
    if inbox is None:
        connection = await session.connection()
        inbox = (await connection.execute(_INBOX, {"uri": follower})).scalar()
    if inbox is None:
        return
    embedded = original or vocab.build_follow(activity_uri, follower, followee.uri)
    build = vocab.build_accept if accept else vocab.build_reject
    answer = build(uris.new_activity(), followee.uri, embedded, to=[follower])
    await publish(session, answer, [inbox])


async def answer_follow(
    session: AsyncSession, uris: LocalUris, follow: Follow, *, accept: bool
) -> None:
    """Accept or reject a follow of a local actor, and tell the follower's server."""
    if accept:
        follow.state = FollowState.ACCEPTED
        follow.updated_at = utcnow()
        session.add(follow)
    else:
        await session.delete(follow)
    followee = await local_followee(session, uris, follow.followee_uri)
    if followee is not None:
        await send_answer(
            session, uris, followee, follow.follower_uri, follow.activity_uri, accept=accept
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
