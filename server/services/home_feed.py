"""A member's home: the next meetups of their groups and of the accounts they follow (with
their own answers), then what those groups and accounts published, newest first, paged.

The feed merges four sources — posts and meetups of the member's groups, posts and meetups
received from followed fediverse accounts — each read newest first up to the end of the
page asked for, then merged. A series appears once (its first occurrence announced).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Event,
    Follow,
    FollowState,
    Group,
    GroupPost,
    Membership,
    MembershipState,
    Participation,
    RemoteActor,
    RemoteEvent,
    RemotePost,
    User,
)
from server.services.calendar import RemoteMeetup, following_calendar, remote_when
from server.services.meetup_lists import Entry, entries_of

#: Items per page of the feed.
PER_PAGE = 20
#: Next meetups shown above the feed.
NEXT_COUNT = 6
#: The deepest page (the feed reads ``page * PER_PAGE`` rows of each source).
MAX_PAGE = 50


@dataclass(frozen=True)
class FeedItem:
    """One entry: ``kind`` is post, meetup, remote_post or remote_meetup."""

    kind: str
    at: datetime
    item: Any
    #: The local group (post, meetup) or the remote account (remote_*).
    source: Any


@dataclass(frozen=True)
class Home:
    """What the home page shows."""

    next_local: list[Entry]
    next_remote: list[RemoteMeetup]
    answers: dict[int, str]
    feed: list[FeedItem]
    page: int
    has_more: bool


def _my_groups(user: User) -> Any:
    return select(Membership.group_id).where(
        Membership.user_id == user.id, Membership.state == MembershipState.ACTIVE
    )


def _followed(user_uri: str) -> Any:
    return select(Follow.followee_uri).where(
        Follow.follower_uri == user_uri, Follow.state == FollowState.ACCEPTED
    )


async def answers_of(session: AsyncSession, user: User, event_ids: list[int]) -> dict[int, str]:
    """The member's answer to each of these meetups (event id -> status)."""
    if not event_ids:
        return {}
    query = select(Participation.event_id, Participation.status).where(
        Participation.user_id == user.id, col(Participation.event_id).in_(event_ids)
    )
    return {event_id: status for event_id, status in (await session.exec(query)).all()}


async def _group_items(session: AsyncSession, user: User, depth: int) -> list[FeedItem]:
    posts = await session.exec(
        select(GroupPost, Group)
        .join(Group, col(Group.id) == col(GroupPost.group_id))
        .where(col(GroupPost.group_id).in_(_my_groups(user)), col(Group.suspended_at).is_(None))
        .order_by(col(GroupPost.published_at).desc())
        .limit(depth)
    )
    meetups = await session.exec(
        select(Event, Group)
        .join(Group, col(Group.id) == col(Event.group_id))
        .where(col(Event.group_id).in_(_my_groups(user)), col(Group.suspended_at).is_(None))
        .order_by(col(Event.created_at).desc(), col(Event.starts_at))
        .limit(depth * 4)  # a series' occurrences collapse into one item
    )
    items = [FeedItem("post", post.published_at, post, group) for post, group in posts.all()]
    seen_series: set[int] = set()
    for event, group in meetups.all():
        if event.series_id is not None:
            if event.series_id in seen_series:
                continue
            seen_series.add(event.series_id)
        items.append(FeedItem("meetup", event.created_at, event, group))
    return items


async def _followed_items(
    session: AsyncSession, user_uri: str, depth: int, zone: str
) -> list[FeedItem]:
    posts = await session.exec(
        select(RemotePost, RemoteActor)
        .join(RemoteActor, col(RemoteActor.uri) == col(RemotePost.actor_uri))
        .where(col(RemotePost.actor_uri).in_(_followed(user_uri)))
        .order_by(col(RemotePost.published_at).desc())
        .limit(depth)
    )
    meetups = await session.exec(
        select(RemoteEvent, RemoteActor)
        .join(RemoteActor, col(RemoteActor.uri) == col(RemoteEvent.actor_uri))
        .where(col(RemoteEvent.actor_uri).in_(_followed(user_uri)))
        .order_by(col(RemoteEvent.received_at).desc())
        .limit(depth)
    )
    return [
        *(FeedItem("remote_post", post.published_at, post, actor) for post, actor in posts.all()),
        *(
            FeedItem("remote_meetup", event.received_at, _remote(event, actor, zone), actor)
            for event, actor in meetups.all()
        ),
    ]


def _remote(event: RemoteEvent, actor: RemoteActor, zone: str) -> RemoteMeetup:
    name = actor.name or actor.username
    return RemoteMeetup(event, remote_when(event, zone), name, actor.url or actor.uri)


async def feed_page(
    session: AsyncSession, user: User, user_uri: str, page: int, zone: str
) -> tuple[list[FeedItem], bool]:
    """One page of the feed, newest first, and whether an older page exists."""
    page = max(1, min(page, MAX_PAGE))
    depth = page * PER_PAGE + 1
    items = [
        *await _group_items(session, user, depth),
        *await _followed_items(session, user_uri, depth, zone),
    ]
    items.sort(key=lambda entry: entry.at, reverse=True)
    start = (page - 1) * PER_PAGE
    return items[start : start + PER_PAGE], len(items) > start + PER_PAGE


async def home(session: AsyncSession, user: User, user_uri: str, page: int, zone: str) -> Home:
    """Everything the home page shows for this member (``zone``: the instance's, for
    remote meetups sent without one)."""
    local, remote = await following_calendar(session, user, user_uri, zone, limit=NEXT_COUNT * 8)
    feed, has_more = await feed_page(session, user, user_uri, page, zone)
    event_ids = [event.id for event, _ in local if event.id is not None]
    event_ids += [entry.item.id for entry in feed if entry.kind == "meetup"]
    return Home(
        next_local=await entries_of(session, local, zone, NEXT_COUNT),
        next_remote=remote[:NEXT_COUNT],
        answers=await answers_of(session, user, event_ids),
        feed=feed,
        page=max(1, min(page, MAX_PAGE)),
        has_more=has_more,
    )
