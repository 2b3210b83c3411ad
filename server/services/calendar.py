"""Calendars: a group's upcoming and past meetups, the instance-wide list, a user's calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.events import event_summary
from federation.events_build import zone_of
from server.db import utcnow
from server.inputs import calendar_date, page_number
from server.models import (
    Event,
    EventTag,
    Follow,
    FollowState,
    Group,
    Membership,
    MembershipState,
    RemoteActor,
    RemoteEvent,
    User,
)

PAGE_SIZE = 30


def visible_to_public() -> ColumnElement[bool]:
    """Events anyone may see listed."""
    return col(Event.visibility) == "public"


async def group_calendar(
    session: AsyncSession,
    group: Group,
    *,
    past: bool,
    include_members_only: bool,
    limit: int = PAGE_SIZE,
) -> list[Event]:
    """A group's upcoming meetups (soonest first) or past ones (latest first)."""
    now = utcnow()
    query = select(Event).where(Event.group_id == group.id)
    if not include_members_only:
        query = query.where(col(Event.visibility) != "members")
    if past:
        query = query.where(col(Event.ends_at) < now).order_by(col(Event.starts_at).desc())
    else:
        query = query.where(col(Event.ends_at) >= now).order_by(col(Event.starts_at))
    return list((await session.exec(query.limit(limit))).all())


@dataclass(frozen=True)
class EventQuery:
    """Filters of the instance-wide upcoming list."""

    group: str = ""
    tag: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> EventQuery:
        """Filters from ``group``, ``tag``, ``from``, ``to`` and ``page`` (bad values ignored)."""

        return cls(
            group=params.get("group", "")[:30].lower(),
            tag=params.get("tag", "")[:64].lstrip("#").lower(),
            start=calendar_date(params.get("from")),
            end=calendar_date(params.get("to")),
            page=page_number(params.get("page")),
        )


async def upcoming_events(
    session: AsyncSession, query: EventQuery, *, limit: int = PAGE_SIZE
) -> tuple[list[tuple[Event, Group]], int]:
    """Public upcoming meetups of public groups on this instance, soonest first, with the total."""
    start = datetime.combine(query.start, time.min, tzinfo=UTC) if query.start else utcnow()
    stmt = (
        select(Event, Group)
        .join(Group, col(Group.id) == col(Event.group_id))
        .where(visible_to_public(), Group.visibility == "public", col(Event.ends_at) >= start)
    )
    if query.end:
        stmt = stmt.where(
            col(Event.starts_at)
            < datetime.combine(query.end + timedelta(days=1), time.min, tzinfo=UTC)
        )
    if query.group:
        stmt = stmt.where(Group.slug == query.group)
    if query.tag:
        stmt = stmt.where(
            col(Event.id).in_(select(EventTag.event_id).where(EventTag.tag == query.tag))
        )
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    rows = await session.exec(
        stmt.order_by(col(Event.starts_at), col(Event.id))
        .offset((query.page - 1) * limit)
        .limit(limit)
    )
    return [(event, group) for event, group in rows.all()], total


@dataclass(frozen=True)
class RemoteMeetup:
    """A meetup of a group followed on another server, as My calendar shows it."""

    event: RemoteEvent
    #: "Sat 4 May 2030, 14:00–17:00 (Europe/Paris)": in the event's zone, or in the
    #: instance's when the peer sent only offsets (Friendica, Gancio).
    when: str
    group_name: str
    group_url: str


def remote_when(event: RemoteEvent, fallback_zone: str) -> str:
    """When a remote meetup happens, in its own zone or else in ``fallback_zone``."""
    zone = event.timezone if zone_of(event.timezone) else fallback_zone
    ends_at = event.ends_at if event.ends_at and event.ends_at > event.starts_at else None
    return event_summary(event.starts_at, ends_at, zone, False, None, None, False)


async def following_calendar(
    session: AsyncSession, user: User, user_uri: str, fallback_zone: str, limit: int = 100
) -> tuple[list[tuple[Event, Group]], list[RemoteMeetup]]:
    """Upcoming meetups of the user's local groups, and of the remote groups they follow."""
    now = utcnow()
    local = await session.exec(
        select(Event, Group)
        .join(Group, col(Group.id) == col(Event.group_id))
        .join(Membership, col(Membership.group_id) == col(Group.id))
        .where(
            Membership.user_id == user.id,
            Membership.state == MembershipState.ACTIVE,
            col(Event.ends_at) >= now,
        )
        .order_by(col(Event.starts_at))
        .limit(limit)
    )
    followed = select(Follow.followee_uri).where(
        Follow.follower_uri == user_uri, Follow.state == FollowState.ACCEPTED
    )
    remote = await session.exec(
        select(RemoteEvent, RemoteActor)
        .join(RemoteActor, col(RemoteActor.uri) == col(RemoteEvent.actor_uri), isouter=True)
        .where(
            col(RemoteEvent.actor_uri).in_(followed),
            col(RemoteEvent.starts_at) >= now - timedelta(hours=12),
        )
        .order_by(col(RemoteEvent.starts_at))
        .limit(limit)
    )
    meetups = [
        RemoteMeetup(
            event=event,
            when=remote_when(event, fallback_zone),
            group_name=(actor.name or actor.username) if actor else "",
            group_url=(actor.url or actor.uri) if actor else event.actor_uri,
        )
        for event, actor in remote.all()
    ]
    return [(event, group) for event, group in local.all()], meetups
