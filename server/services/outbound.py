"""What the services tell the rest of the fediverse about: domain events, and the one call
that hands them on (:func:`emit`).

Services decide *what happened* (a meetup was published, a post edited, a report forwarded)
and never build ActivityStreams documents or queue deliveries themselves: that is the
outbound side of :mod:`server.activitypub`, which sits above them in the layer order
(cli/app -> api | web -> activitypub -> services -> models -> db). The dependency is
inverted: this module holds the event types and a registry; ``server.activitypub``
registers one handler per event type when the package is imported
(:mod:`server.activitypub.outbound_handlers`, imported by ``server/activitypub/__init__.py``,
so the app, the CLI, the worker and the tests all have them).

:func:`emit` runs the handler at once, in the caller's session: the activity and its
deliveries (the transactional outbox) are written before the caller commits, atomically
with the domain change, exactly as when services published directly; a rollback drops
both. An event without a handler raises :class:`UnhandledEvent` instead of being dropped,
so a process that never imported ``server.activitypub`` fails loudly.

Events are frozen dataclasses; they carry the rows they are about (the handler may set a
row's federation columns, e.g. ``Event.federated_at``) and the instance's
:class:`~server.uris.LocalUris`. Who emits and who handles:

- meetups: :mod:`server.services.event_publishing` -> ``activitypub.meetup_publishing``
- group posts: :mod:`server.services.posts` -> ``activitypub.post_publishing``
- relayed posts and comments: :mod:`server.services.conversations`,
  :mod:`server.services.discussion` -> ``activitypub.relay_send``
- direct messages, forwarded reports: :mod:`server.services.notices`,
  :mod:`server.services.reports` -> ``activitypub.direct_sends``
- proposals, minutes: :mod:`server.services.proposal_actions`, :mod:`server.services.minutes`
  -> ``activitypub.proposal_poll``, ``activitypub.minutes_article``
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Event,
    Group,
    GroupPost,
    Minutes,
    Proposal,
    RelayedPost,
    RemoteActor,
    Report,
)
from server.uris import LocalUris


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened that other servers must hear about."""

    uris: LocalUris


@dataclass(frozen=True)
class MeetupsPublished(DomainEvent):
    """New meetups (one, or the occurrences of a new series, first first)."""

    group: Group
    events: tuple[Event, ...]


@dataclass(frozen=True)
class MeetupsChanged(DomainEvent):
    """Meetups edited or cancelled (their rows already hold the new state)."""

    group: Group
    events: tuple[Event, ...]


@dataclass(frozen=True)
class MeetupRemoved(DomainEvent):
    """A meetup about to be deleted."""

    group: Group
    event: Event


@dataclass(frozen=True)
class DirectMessage(DomainEvent):
    """A private message (plain ``text``) from the group to people on other servers; the
    Note's id is ``note_id`` (chosen by the service, which returns it)."""

    group: Group
    actors: tuple[RemoteActor, ...]
    text: str
    note_id: str


@dataclass(frozen=True)
class ReportForwarded(DomainEvent):
    """An admin forwarded a report to the reported account's server, as ``flag_actor``."""

    report: Report
    target: RemoteActor
    flag_actor: str


@dataclass(frozen=True)
class PostPublished(DomainEvent):
    """An organizer posted as the group."""

    group: Group
    post: GroupPost


@dataclass(frozen=True)
class PostEdited(DomainEvent):
    """A group post's text changed."""

    group: Group
    post: GroupPost


@dataclass(frozen=True)
class PostDeleted(DomainEvent):
    """A group post is about to be deleted."""

    group: Group
    post: GroupPost


@dataclass(frozen=True)
class PostRelayed(DomainEvent):
    """The group shares a post (someone's, or a comment written here) with its audience."""

    group: Group
    post: RelayedPost


@dataclass(frozen=True)
class CommentWritten(DomainEvent):
    """Someone here commented in a group's discussion: ``post`` (flushed, its
    ``activity_json`` still empty) is their Note, which the group shares."""

    group: Group
    post: RelayedPost


@dataclass(frozen=True)
class PostUnrelayed(DomainEvent):
    """The group takes back its sharing of a post (hidden, or its author blocked)."""

    group: Group
    post: RelayedPost


@dataclass(frozen=True)
class PostRemovedByModerator(DomainEvent):
    """A moderator deleted a shared post from the group (the row is about to go)."""

    group: Group
    post: RelayedPost


@dataclass(frozen=True)
class ProposalOpened(DomainEvent):
    """A new proposal, to be put to the members (and followers, if public) as a poll."""

    group: Group
    proposal: Proposal


@dataclass(frozen=True)
class MinutesSaved(DomainEvent):
    """A meetup's minutes were written or edited (published ones federate)."""

    group: Group
    event: Event
    minutes: Minutes


E = TypeVar("E", bound=DomainEvent)
#: A handler of events of type ``E``: writes the activities in the caller's session.
Handler = Callable[[AsyncSession, E], Awaitable[None]]
_handlers: dict[type[DomainEvent], Handler[Any]] = {}


class UnhandledEvent(LookupError):
    """An event was emitted that nothing registered to handle."""


def handles(kind: type[E]) -> Callable[[Handler[E]], Handler[E]]:
    """Register the decorated coroutine as the handler of ``kind`` (one per type)."""

    def register(handler: Handler[E]) -> Handler[E]:
        existing = _handlers.get(kind)
        if existing is not None and existing.__qualname__ != handler.__qualname__:
            raise ValueError(f"{kind.__name__} already has a handler: {existing.__qualname__}")
        _handlers[kind] = handler
        return handler

    return register


async def emit(session: AsyncSession, event: DomainEvent) -> None:
    """Hand ``event`` to its handler, in ``session`` (before the caller commits)."""
    handler = _handlers.get(type(event))
    if handler is None:
        raise UnhandledEvent(
            f"No handler for {type(event).__name__}: import server.activitypub first"
        )
    await handler(session, event)
