"""The federation's bookkeeping: remote actors, follows, the inbox, and the outbox with its
deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, text_column, when_column


class FollowState(StrEnum):
    """A follow's state. ``moving``: a follower carried over in a group archive, until it
    follows here (accepted at once then; see server.activitypub.group_import)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MOVING = "moving"


class DeliveryState(StrEnum):
    """One delivery's state: waiting (or retrying), done, or abandoned after the last try."""

    PENDING = "pending"
    DELIVERED = "delivered"
    GIVEN_UP = "given_up"


FOLLOW_STATES = tuple(state.value for state in FollowState)
DELIVERY_STATES = tuple(state.value for state in DeliveryState)


class RemoteActor(SQLModel, table=True):
    """A cached copy of an actor on another server (fields sanitized or validated on the way in)."""

    __tablename__ = "remote_actors"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(default="Person", max_length=32)
    username: str = Field(default="", max_length=255)
    domain: str = Field(max_length=255, index=True)
    name: str = Field(default="", max_length=255)
    summary_html: str = Field(default="", sa_column=text_column())
    url: str = Field(default="", max_length=2048)
    icon_url: str = Field(default="", max_length=2048)
    inbox: str = Field(max_length=2048)
    shared_inbox: str = Field(default="", max_length=2048)
    outbox: str = Field(default="", max_length=2048)
    followers: str = Field(default="", max_length=2048)
    key_id: str = Field(default="", max_length=2048, index=True)
    public_key_pem: str = Field(default="", sa_column=text_column())
    manually_approves_followers: bool = Field(default=False)
    fetched_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    key_refreshed_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}" if self.username else self.uri

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox


class Follow(SQLModel, table=True):
    """``follower_uri`` follows ``followee_uri`` (either side may be local or remote)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_uri", "followee_uri"),
        Index("ix_follows_followee_state", "followee_uri", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    follower_uri: str = Field(max_length=2048, index=True)
    followee_uri: str = Field(max_length=2048)
    state: FollowState = state_field(FollowState.PENDING)
    activity_uri: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class InboxActivity(SQLModel, table=True):
    """An activity received (verified) at an inbox, stored before it is processed."""

    __tablename__ = "inbox_activities"
    __table_args__ = (Index("ix_inbox_pending", "processed_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048)
    type: str = Field(max_length=64)
    body: str = Field(sa_column=text_column())
    received_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    processed_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    attempts: int = Field(default=0)
    result: str = Field(default="", max_length=500)
    #: A worker processing it holds it until then (several worker processes share the inbox).
    leased_until: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class OutboxActivity(SQLModel, table=True):
    """An activity a local actor published; its JSON body is sent as is to every inbox."""

    __tablename__ = "outbox_activities"

    id: int | None = Field(default=None, primary_key=True)
    activity_uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048, index=True)
    type: str = Field(max_length=64)
    object_uri: str = Field(default="", max_length=2048)
    body: str = Field(sa_column=text_column())
    is_public: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class Delivery(SQLModel, table=True):
    """One (activity, inbox) pair to deliver, with what happened on each try."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="outbox_activities.id", ondelete="CASCADE")
    inbox: str = Field(max_length=2048)
    host: str = Field(max_length=255, index=True)
    state: DeliveryState = state_field(DeliveryState.PENDING)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    leased_until: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    last_status: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class DeliveryHost(SQLModel, table=True):
    """How a remote host has been answering, to skip hosts that have been down for days."""

    __tablename__ = "delivery_hosts"

    host: str = Field(primary_key=True, max_length=255)
    failing_since: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    last_error: str = Field(default="", max_length=500)
    is_unavailable: bool = Field(default=False)
