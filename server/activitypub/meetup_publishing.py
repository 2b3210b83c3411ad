"""Federating meetups: ``Create`` when published, ``Update`` on edits and cancellation,
``Delete`` on removal — one delivery per follower inbox, never Create + Announce copies.
The handlers of :class:`~server.services.outbound.MeetupsPublished`, ``MeetupsChanged``
and ``MeetupRemoved`` (emitted by :mod:`server.services.event_publishing`).

A series is not announced all at once: each occurrence goes out when it comes within
``ANNOUNCE_AHEAD`` (the worker calls :func:`publish_due_occurrences`), so followers'
timelines get one post per meetup, in time. Members-only meetups go to the group's members
on other servers only, addressed to them by name (never public, never to followers).
"""

from __future__ import annotations

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.event_documents import event_document
from server.activitypub.event_poll import (
    due_count_updates,
    poll_document,
    poll_uri,
    takes_poll_answers,
)
from server.activitypub.member_audience import publish_to_members
from server.activitypub.mentions import mentioned_inboxes
from server.activitypub.minutes_article import send_minutes_removal
from server.activitypub.publish import publish_to_followers
from server.db import utcnow
from server.models import Event, EventStatus, Group, OutboxActivity
from server.services.event_publishing import ANNOUNCE_AHEAD
from server.services.outbound import MeetupRemoved, MeetupsChanged, MeetupsPublished, handles
from server.services.remote_membership import member_uris
from server.uris import LocalUris


def _federates(event: Event) -> bool:
    return event.visibility != "members"


async def _send(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, kind: str
) -> None:
    document = await event_document(session, uris, group, event)
    build = vocab.build_create if kind == "Create" else vocab.build_update
    activity = build(
        uris.new_activity(), uris.group(group.slug), document, to=document["to"], cc=document["cc"]
    )
    # The embedded Event loses its own @context: the activity's must define its terms
    # (timezone, joinMode, address…) or JSON-LD readers such as Friendica drop them.
    activity["@context"] = document["@context"]
    await _deliver(session, uris, group, event, activity)
    if takes_poll_answers(event) or kind == "Update":
        await _send_poll(session, uris, group, event, document, kind)


async def _send_poll(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    event: Event,
    document: JsonObject,
    kind: str,
) -> None:
    """The RSVP poll that goes with the Event (see :mod:`server.activitypub.event_poll`)."""
    poll = await poll_document(session, uris, group, event, document["to"], document["cc"])
    if not takes_poll_answers(event):
        poll["closed"] = vocab.format_datetime(utcnow())
    build = vocab.build_create if kind == "Create" else vocab.build_update
    activity = build(
        uris.new_activity(), uris.group(group.slug), poll, to=poll["to"], cc=poll["cc"]
    )
    await _deliver(session, uris, group, event, activity)


async def _deliver(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, activity: JsonObject
) -> None:
    """Members-only meetups go to the members only; the others to the followers and the
    people the description mentions."""
    if event.visibility == "members":
        await publish_to_members(session, activity, group)
    else:
        extra = await mentioned_inboxes(session, uris, event.tags_json)
        await publish_to_followers(session, activity, uris.group(group.slug), extra=extra)


@handles(MeetupsPublished)
async def publish_new(session: AsyncSession, published: MeetupsPublished) -> None:
    """Announce a new meetup; of a new series, only the occurrences due soon."""
    uris, group, events = published.uris, published.group, published.events
    horizon = utcnow() + ANNOUNCE_AHEAD
    for index, event in enumerate(events):
        due = index == 0 or event.starts_at <= horizon
        if due and event.status != EventStatus.CANCELLED:
            await _send(session, uris, group, event, "Create")
            if _federates(event):
                event.federated_at = utcnow()
                session.add(event)


@handles(MeetupsChanged)
async def publish_changes(session: AsyncSession, changed: MeetupsChanged) -> None:
    """Send ``Update`` for edited (or cancelled) meetups that followers already have;
    ``Delete`` for one made members-only since, ``Create`` for one they may now see."""
    uris, group, events = changed.uris, changed.group, changed.events
    horizon = utcnow() + ANNOUNCE_AHEAD
    for event in events:
        if not _federates(event):
            await _publish_members_change(session, uris, group, event)
        elif _federates(event) and event.federated_at is not None:
            await _send(session, uris, group, event, "Update")
        elif (
            _federates(event)
            and event.status != EventStatus.CANCELLED
            and (event.series_id is None or event.starts_at <= horizon)
            and event.ends_at >= utcnow()
        ):
            await _send(session, uris, group, event, "Create")
            event.federated_at = utcnow()
            session.add(event)


async def _publish_members_change(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event
) -> None:
    """A members-only meetup changed: members get an Update; if followers had it (it was
    public until now), they get a Delete and members a Create."""
    kind = "Update"
    if event.federated_at is not None:
        await _send_delete(session, uris, group, event, to_followers=True)
        event.federated_at = None
        session.add(event)
        kind = "Create"
    await _send(session, uris, group, event, kind)


@handles(MeetupRemoved)
async def publish_removal(session: AsyncSession, removed: MeetupRemoved) -> None:
    """Send ``Delete`` (a Tombstone) for a meetup followers (or members) have, and for its
    federated minutes."""
    uris, group, event = removed.uris, removed.group, removed.event
    if event.federated_at is not None or not _federates(event):
        await _send_delete(session, uris, group, event, to_followers=_federates(event))
    await send_minutes_removal(session, uris, group, event)


async def _send_delete(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, *, to_followers: bool
) -> None:
    group_uri = uris.group(group.slug)
    if to_followers:
        to, cc = vocab.addressing(
            "unlisted" if event.visibility == "unlisted" else "public", f"{group_uri}/followers"
        )
    else:
        to, cc = await member_uris(session, group), []
    objects = (poll_uri(uris, event.id or 0), "Question"), (uris.event(event.id or 0), "Event")
    # The outbox and /activities/ stop serving what was published about it.
    await session.exec(
        update(OutboxActivity)
        .where(col(OutboxActivity.object_uri).in_([uri for uri, _ in objects]))
        .values(is_public=False)
    )
    for object_uri, former_type in objects:
        activity = vocab.build_delete(
            uris.new_activity(), group_uri, object_uri, to=to, cc=cc, former_type=former_type
        )
        if to_followers:
            await publish_to_followers(session, activity, group_uri)
        else:
            await publish_to_members(session, activity, group)


async def send_changed_counts(session: AsyncSession, uris: LocalUris) -> int:
    """``Update`` the Event (``participantCount``, seats left) and its poll for federated
    meetups whose RSVP counts changed (a periodic job, at most every ``COUNTS_EVERY``)."""
    due = await due_count_updates(session)
    for event, group in due:
        event.counts_changed_at = None
        session.add(event)
        if event.visibility != "members":
            await _send(session, uris, group, event, "Update")
    return len(due)


async def publish_due_occurrences(session: AsyncSession, uris: LocalUris) -> int:
    """Announce series occurrences that have come within ``ANNOUNCE_AHEAD``; returns how many."""
    now = utcnow()
    due = await session.exec(
        select(Event, Group)
        .join(Group, col(Group.id) == col(Event.group_id))
        .where(
            col(Event.federated_at).is_(None),
            col(Event.series_id).is_not(None),
            col(Event.status) != EventStatus.CANCELLED,
            col(Event.visibility) != "members",
            col(Event.starts_at) <= now + ANNOUNCE_AHEAD,
            col(Event.ends_at) >= now,
        )
        .limit(100)
    )
    rows = list(due.all())
    for event, group in rows:
        await _send(session, uris, group, event, "Create")
        event.federated_at = now
        session.add(event)
    return len(rows)
