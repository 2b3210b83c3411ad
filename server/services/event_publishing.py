"""Telling other servers about meetups: services and routes call these when a meetup is
published, changed (edited, cancelled) or removed; :mod:`server.activitypub.meetup_publishing`
turns each into activities in the same transaction (see :mod:`server.services.outbound`).

A series is not announced all at once: each occurrence goes out when it comes within
``ANNOUNCE_AHEAD`` (the worker announces the others as they come due).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Event, Group
from server.services.outbound import MeetupRemoved, MeetupsChanged, MeetupsPublished, emit
from server.uris import LocalUris

#: How far ahead of its start a series occurrence is announced.
ANNOUNCE_AHEAD = timedelta(days=14)


async def publish_new(
    session: AsyncSession, uris: LocalUris, group: Group, events: Sequence[Event]
) -> None:
    """New meetups (a single one, or a new series' occurrences in order)."""
    await emit(session, MeetupsPublished(uris, group, tuple(events)))


async def publish_changes(
    session: AsyncSession, uris: LocalUris, group: Group, events: Sequence[Event]
) -> None:
    """Meetups edited or cancelled (the rows hold the new state)."""
    await emit(session, MeetupsChanged(uris, group, tuple(events)))


async def publish_removal(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event
) -> None:
    """A meetup about to be deleted."""
    await emit(session, MeetupRemoved(uris, group, event))
