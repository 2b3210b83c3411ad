"""Tables of membership and attendance: remote members of local groups, RSVPs (local and
remote, with waitlist), notifications for local users, and queued outgoing email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow

#: How a remote person became (or asks to become) a member.
REMOTE_MEMBER_VIAS = ("join", "follow", "invite")
#: RSVP answers. ``waitlisted``: the event was full; ``pending``: a restricted event's
#: organizer has not decided yet; ``rejected``: the organizer said no.
RSVP_STATUSES = ("going", "maybe", "not_going", "waitlisted", "pending", "rejected")
#: The statuses that take a seat (capacity counts only ``going``).
SEATED = ("going",)
#: How an RSVP arrived.
RSVP_VIAS = ("web", "api", "join", "friendica", "poll")
#: ``sending``: claimed by a worker until ``next_attempt_at`` (its lease).
EMAIL_STATES = ("pending", "sending", "sent", "failed")


def _when(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _text() -> Column[str]:
    return Column(Text, nullable=False, default="")


class RemoteMember(SQLModel, table=True):
    """A person on another server who is (or asks to be) a member of a local group."""

    __tablename__ = "remote_members"
    __table_args__ = (UniqueConstraint("group_id", "actor_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    actor_uri: str = Field(max_length=2048, index=True)
    role: str = Field(default="member", max_length=16)
    state: str = Field(default="pending", max_length=16)
    via: str = Field(default="join", max_length=16)
    #: The Join (or Follow) activity it answers, for Accept/Reject ``object``.
    activity_uri: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


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
    status: str = Field(default="going", max_length=16)
    via: str = Field(default="web", max_length=16)
    #: The remote activity it came with (Join, vote Note…), for Accept/Reject and dedupe.
    activity_uri: str = Field(default="", max_length=2048)
    #: Free text from the organizer or the system: why rejected, and the like.
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    #: When the person joined the waitlist (the queue order); None when not waitlisted.
    waitlisted_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    #: When the reminder for this occurrence was queued (set once, in the same transaction).
    reminded_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class Notification(SQLModel, table=True):
    """A message to a local user (RSVP confirmations, waitlist promotions, reminders…)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)
    text: str = Field(sa_column=_text())
    link: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    read_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class EmailChoice(SQLModel, table=True):
    """A member's choice to have (or not) one category of notifications emailed; without a
    row the category's default applies (``server.services.notifications.CATEGORIES``)."""

    __tablename__ = "email_choices"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    category: str = Field(max_length=32, primary_key=True)
    email: bool = Field(default=True)


class OutgoingEmail(SQLModel, table=True):
    """An email queued in the same transaction as what caused it; the worker sends it."""

    __tablename__ = "outgoing_emails"
    __table_args__ = (Index("ix_outgoing_emails_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=_text())
    state: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    sent_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
