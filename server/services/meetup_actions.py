"""Meetup use cases: the one entry point for creating (a meetup or a series), editing,
cancelling and deleting a meetup, whether the web form or the API asks.

Each holds the permission check (the group's organizers: ``post_as_group``), the state change
through :mod:`server.services.events`, the recording of what other servers must hear
(:mod:`server.services.event_publishing`) and the notifications to the people who answered.
What only the caller's side knows is handed in as :class:`MeetupExtras`: the description's
mentions (looked up on other servers before anything is written), a cover image from a form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.errors import NotFound
from server.i18n import _
from server.models import Event, Group, User
from server.services import membership as members
from server.services import news
from server.services.event_publishing import publish_changes, publish_new, publish_removal
from server.services.events import (
    EventFields,
    cancel_event,
    create_events,
    event_tags,
    fields_of,
    get_event,
    update_event,
    update_series,
)
from server.services.groups import get_group
from server.uris import LocalUris

#: Who may create and change a group's meetups.
ORGANIZE = "post_as_group"

#: The new fields of an edited meetup, from its current ones (a form replaces them all, the
#: API's PATCH changes some).
NewFields = Callable[[EventFields], Awaitable[EventFields]]


@dataclass
class Meetups:
    """The meetups an action created or changed (one, or dates of a series), and their group."""

    group: Group
    events: list[Event]

    @property
    def first(self) -> Event:
        return self.events[0]


class MeetupExtras(Protocol):
    """The caller's part in a meetup action (see the module docstring)."""

    async def look_up(self, description: str) -> None:
        """Before anything is written: find what the description mentions."""

    async def complete(self, events: list[Event]) -> None:
        """After the change, before it is federated: render the descriptions, add a cover."""


async def organized_group(session: AsyncSession, slug: str, user: User) -> Group:
    """The group whose meetups ``user`` organizes (Forbidden otherwise)."""
    group = await get_group(session, slug)
    await members.require(session, group, user, ORGANIZE)
    return group


async def editable_meetup(session: AsyncSession, event_id: int, user: User) -> tuple[Event, Group]:
    """The meetup and its group, for one of the group's organizers (Forbidden otherwise)."""
    event = await get_event(session, event_id)
    group = await session.get(Group, event.group_id)
    if group is None:
        raise NotFound(_("No such meetup."))
    await members.require(session, group, user, ORGANIZE)
    return event, group


async def create(
    session: AsyncSession,
    settings: Settings,
    slug: str,
    organizer: User,
    fields: Callable[[], Awaitable[EventFields]],
    extras: MeetupExtras,
) -> Meetups:
    """Create a meetup (or the occurrences of a series) in the group and announce it to the
    group's followers; ``fields`` is read once the organizer is known to be one."""
    group = await organized_group(session, slug, organizer)
    new = await fields()
    await extras.look_up(new.description)
    events = await create_events(session, group, organizer, new)
    await extras.complete(events)
    await publish_new(session, LocalUris(settings), group, events)
    return Meetups(group, events)


async def edit(
    session: AsyncSession,
    settings: Settings,
    event_id: int,
    editor: User,
    new_fields: NewFields,
    extras: MeetupExtras,
    *,
    whole_series: bool = False,
) -> Meetups:
    """Change a meetup (with ``whole_series``, every upcoming date of its series); followers
    get an Update, SEQUENCE goes up and the people who answered are told."""
    event, group = await editable_meetup(session, event_id, editor)
    fields = await new_fields(fields_of(event, await event_tags(session, event)))
    fields.recurrence = None
    await extras.look_up(fields.description)
    if whole_series and event.series_id:
        changed = await update_series(session, event, fields)
    else:
        changed = [await update_event(session, event, fields)]
    await extras.complete(changed)
    await _changed(session, settings, group, changed, editor)
    return Meetups(group, changed)


async def cancel(session: AsyncSession, settings: Settings, event_id: int, editor: User) -> Meetups:
    """Cancel a meetup: it stays listed as cancelled, followers' calendars and the people who
    answered are told."""
    event, group = await editable_meetup(session, event_id, editor)
    await cancel_event(session, event)
    await _changed(session, settings, group, [event], editor)
    return Meetups(group, [event])


async def delete(session: AsyncSession, settings: Settings, event_id: int, editor: User) -> Meetups:
    """Delete a meetup for good (followers get a Delete, of its minutes too)."""
    event, group = await editable_meetup(session, event_id, editor)
    await publish_removal(session, LocalUris(settings), group, event)
    await session.delete(event)
    return Meetups(group, [event])


async def _changed(
    session: AsyncSession, settings: Settings, group: Group, events: list[Event], editor: User
) -> None:
    await publish_changes(session, LocalUris(settings), group, events)
    await news.meetup_changed(session, settings, events, by=editor)
