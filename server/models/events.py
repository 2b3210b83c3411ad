"""Meetups and who comes: events (each occurrence of a series is an event with its own page),
recurring series, tags, events received from remote groups, and participations (RSVPs)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, text_column, when_column


class JoinMode(StrEnum):
    """Who may take a seat: anyone, on the organizer's approval, by invitation, or elsewhere."""

    FREE = "free"
    RESTRICTED = "restricted"
    INVITE = "invite"
    EXTERNAL = "external"


class EventStatus(StrEnum):
    """A meetup's status (iCalendar STATUS, lowercase)."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


class RsvpStatus(StrEnum):
    """An RSVP answer. ``waitlisted``: the event was full; ``pending``: a restricted event's
    organizer has not decided yet; ``rejected``: the organizer said no."""

    GOING = "going"
    MAYBE = "maybe"
    NOT_GOING = "not_going"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    REJECTED = "rejected"


JOIN_MODES = tuple(mode.value for mode in JoinMode)
EVENT_STATUSES = tuple(status.value for status in EventStatus)
EVENT_VISIBILITIES = ("public", "unlisted", "members")
RSVP_STATUSES = tuple(status.value for status in RsvpStatus)
#: The statuses that take a seat (capacity counts only ``going``).
SEATED = (RsvpStatus.GOING,)
#: How an RSVP arrived.
RSVP_VIAS = ("web", "api", "join", "friendica", "poll")


class EventSeries(SQLModel, table=True):
    """A recurring meetup: the rule and the wall-clock time its occurrences keep."""

    __tablename__ = "event_series"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    rrule: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    first_start_local: str = Field(max_length=19, description="YYYY-MM-DDTHH:MM:SS, wall clock")
    duration_minutes: int = Field(default=120)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class Event(SQLModel, table=True):
    """One meetup (or one occurrence of a series)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_group_start", "group_id", "starts_at"),
        Index("ix_events_start", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    series_id: int | None = Field(default=None, foreign_key="event_series.id", ondelete="SET NULL")
    #: The start the series rule gave this occurrence (iCalendar RECURRENCE-ID), even if moved.
    recurrence_id_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    is_detached: bool = Field(default=False, description="edited apart from its series")
    title: str = Field(max_length=200)
    description_md: str = Field(default="", sa_column=text_column())
    description_html: str = Field(default="", sa_column=text_column())
    #: Mentions and hashtags of the description (the ``tag`` array) as JSON.
    tags_json: str = Field(default="", sa_column=text_column())
    starts_at: datetime = Field(sa_column=when_column())
    ends_at: datetime = Field(sa_column=when_column())
    timezone: str = Field(max_length=64)
    all_day: bool = Field(default=False)
    venue_name: str = Field(default="", max_length=200)
    street: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", max_length=20)
    locality: str = Field(default="", max_length=100)
    country: str = Field(default="", max_length=100)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    online_url: str = Field(default="", max_length=2048)
    capacity: int | None = Field(default=None)
    join_mode: JoinMode = state_field(JoinMode.FREE)
    external_url: str = Field(default="", max_length=2048)
    status: EventStatus = state_field(EventStatus.CONFIRMED)
    visibility: str = Field(default="public", max_length=16)
    comments_enabled: bool = Field(default=True)
    cover: str = Field(default="", max_length=80)
    sequence: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    federated_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    #: Attendees get a reminder this long before the start (0: none).
    remind_minutes: int = Field(default=1440)
    #: Set when RSVP counts changed; the worker federates the new counts and clears it.
    counts_changed_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class EventTag(SQLModel, table=True):
    """One tag of an event (lowercase, without '#')."""

    __tablename__ = "event_tags"
    __table_args__ = (UniqueConstraint("event_id", "tag"), Index("ix_event_tags_tag", "tag"))

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE")
    tag: str = Field(max_length=64)


class RemoteEvent(SQLModel, table=True):
    """An event received from a remote group or account that local users follow."""

    __tablename__ = "remote_events"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048, index=True)
    #: Who sent it: the group itself, or (Mobilizon) a member publishing for the group.
    sent_by: str = Field(default="", max_length=2048)
    url: str = Field(default="", max_length=2048)
    name: str = Field(max_length=300)
    summary: str = Field(default="", max_length=1000)
    content_html: str = Field(default="", sa_column=text_column())
    starts_at: datetime = Field(sa_column=when_column(index=True))
    ends_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    timezone: str = Field(default="", max_length=64)
    location: str = Field(default="", max_length=500)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    online_url: str = Field(default="", max_length=2048)
    image_url: str = Field(default="", max_length=2048)
    #: Hashtags without ``#``, one per line (Gancio's may contain spaces).
    tags: str = Field(default="", sa_column=text_column())
    status: EventStatus = state_field(EventStatus.CONFIRMED)
    received_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))

    @property
    def tag_list(self) -> list[str]:
        """The event's hashtags, without ``#``."""
        return [tag for tag in self.tags.splitlines() if tag]


class Participation(SQLModel, table=True):
    """One person's answer to one meetup (occurrence): a local user or a remote actor."""

    __tablename__ = "participations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        UniqueConstraint("event_id", "actor_uri"),
        Index("ix_participations_event_status", "event_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE")
    #: Exactly one of ``user_id`` (local) and ``actor_uri`` (remote) is set.
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    actor_uri: str | None = Field(default=None, max_length=2048)
    status: RsvpStatus = state_field(RsvpStatus.GOING)
    via: str = Field(default="web", max_length=16)
    #: The remote activity it came with (Join, vote Note…), for Accept/Reject and dedupe.
    activity_uri: str = Field(default="", max_length=2048)
    #: Free text from the organizer or the system: why rejected, and the like.
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    #: When the person joined the waitlist (the queue order); None when not waitlisted.
    waitlisted_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    #: When the reminder for this occurrence was queued (set once, in the same transaction).
    reminded_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
