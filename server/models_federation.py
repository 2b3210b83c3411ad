"""Tables of the federation: remote actors, follows, inbox and outbox activities, deliveries,
group posts and posts received from accounts local users follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow

#: ``moving``: a follower carried over in a group archive, until it follows here (accepted
#: at once then; see server.activitypub.group_import).
FOLLOW_STATES = ("pending", "accepted", "rejected", "moving")
DELIVERY_STATES = ("pending", "delivered", "given_up")
POST_VISIBILITIES = ("public", "unlisted", "followers", "members")


def _when(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _text() -> Column[str]:
    return Column(Text, nullable=False, default="")


class RemoteActor(SQLModel, table=True):
    """A cached copy of an actor on another server (fields sanitized or validated on the way in)."""

    __tablename__ = "remote_actors"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(default="Person", max_length=32)
    username: str = Field(default="", max_length=255)
    domain: str = Field(max_length=255, index=True)
    name: str = Field(default="", max_length=255)
    summary_html: str = Field(default="", sa_column=_text())
    url: str = Field(default="", max_length=2048)
    icon_url: str = Field(default="", max_length=2048)
    inbox: str = Field(max_length=2048)
    shared_inbox: str = Field(default="", max_length=2048)
    outbox: str = Field(default="", max_length=2048)
    followers: str = Field(default="", max_length=2048)
    key_id: str = Field(default="", max_length=2048, index=True)
    public_key_pem: str = Field(default="", sa_column=_text())
    manually_approves_followers: bool = Field(default=False)
    fetched_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    key_refreshed_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))

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
    state: str = Field(default="pending", max_length=16)
    activity_uri: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class InboxActivity(SQLModel, table=True):
    """An activity received (verified) at an inbox, stored before it is processed."""

    __tablename__ = "inbox_activities"
    __table_args__ = (Index("ix_inbox_pending", "processed_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048)
    type: str = Field(max_length=64)
    body: str = Field(sa_column=_text())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    processed_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    attempts: int = Field(default=0)
    result: str = Field(default="", max_length=500)
    #: A worker processing it holds it until then (several worker processes share the inbox).
    leased_until: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class OutboxActivity(SQLModel, table=True):
    """An activity a local actor published; its JSON body is sent as is to every inbox."""

    __tablename__ = "outbox_activities"

    id: int | None = Field(default=None, primary_key=True)
    activity_uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048, index=True)
    type: str = Field(max_length=64)
    object_uri: str = Field(default="", max_length=2048)
    body: str = Field(sa_column=_text())
    is_public: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


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
    state: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    leased_until: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    last_status: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class DeliveryHost(SQLModel, table=True):
    """How a remote host has been answering, to skip hosts that have been down for days."""

    __tablename__ = "delivery_hosts"

    host: str = Field(primary_key=True, max_length=255)
    failing_since: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    last_error: str = Field(default="", max_length=500)
    is_unavailable: bool = Field(default=False)


class GroupPost(SQLModel, table=True):
    """An announcement a group's organizers publish as the group (a Note)."""

    __tablename__ = "group_posts"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    content_md: str = Field(sa_column=_text())
    content_html: str = Field(sa_column=_text())
    #: The Note's ``tag`` array (Mention and Hashtag) as JSON, resolved when written.
    tags_json: str = Field(default="", sa_column=_text())
    visibility: str = Field(default="public", max_length=16)
    published_at: datetime = Field(default_factory=utcnow, sa_column=_when(index=True))
    updated_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class RemotePost(SQLModel, table=True):
    """A post received from a remote actor that local users follow (sanitized HTML)."""

    __tablename__ = "remote_posts"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048, index=True)
    url: str = Field(default="", max_length=2048)
    content_html: str = Field(sa_column=_text())
    summary: str = Field(default="", max_length=1000)
    is_public: bool = Field(default=True)
    published_at: datetime = Field(default_factory=utcnow, sa_column=_when(index=True))
    updated_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    #: For a poll (``Question``): {"options": [...], "end": iso, "closed": bool} as JSON.
    poll_json: str = Field(default="", sa_column=_text())


REACTION_KINDS = ("Like", "Announce")


class Reaction(SQLModel, table=True):
    """A remote actor's ``Like`` or ``Announce`` (boost) of a local group post or meetup,
    counted on its page; an ``Undo`` of the activity removes it."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("kind", "actor_uri", "object_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_uri: str = Field(max_length=2048, index=True)
    kind: str = Field(max_length=16)
    actor_uri: str = Field(max_length=2048)
    #: The post or meetup reacted to (a like of a meetup's poll counts for the meetup).
    object_uri: str = Field(max_length=2048, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
