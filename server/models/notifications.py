"""What members are told: notifications, their e-mail choices and the outgoing e-mail queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, text_column, when_column


class EmailState(StrEnum):
    """An outgoing e-mail's state. ``sending``: claimed by a worker until ``next_attempt_at``
    (its lease)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


EMAIL_STATES = tuple(state.value for state in EmailState)


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
    text: str = Field(sa_column=text_column())
    link: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    read_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


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
    body: str = Field(sa_column=text_column())
    state: EmailState = state_field(EmailState.PENDING)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    sent_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
