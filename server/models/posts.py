"""Posts: a group's own posts, remote posts, posts relayed to followers, and reactions to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, text_column, when_column

POST_VISIBILITIES = ("public", "unlisted", "followers", "members")
REACTION_KINDS = ("Like", "Announce")


class RelayState(StrEnum):
    """A relayed post's state. ``relayed``: announced to the followers; ``held``: waiting for a
    moderator (moderated groups); ``hidden``: a moderator took it off the group (Undo of the
    Announce sent)."""

    RELAYED = "relayed"
    HELD = "held"
    HIDDEN = "hidden"


RELAY_STATES = tuple(state.value for state in RelayState)


class GroupPost(SQLModel, table=True):
    """An announcement a group's organizers publish as the group (a Note)."""

    __tablename__ = "group_posts"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    content_md: str = Field(sa_column=text_column())
    content_html: str = Field(sa_column=text_column())
    #: The Note's ``tag`` array (Mention and Hashtag) as JSON, resolved when written.
    tags_json: str = Field(default="", sa_column=text_column())
    visibility: str = Field(default="public", max_length=16)
    published_at: datetime = Field(default_factory=utcnow, sa_column=when_column(index=True))
    updated_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class RemotePost(SQLModel, table=True):
    """A post received from a remote actor that local users follow (sanitized HTML)."""

    __tablename__ = "remote_posts"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=2048, unique=True)
    actor_uri: str = Field(max_length=2048, index=True)
    url: str = Field(default="", max_length=2048)
    content_html: str = Field(sa_column=text_column())
    summary: str = Field(default="", max_length=1000)
    is_public: bool = Field(default=True)
    published_at: datetime = Field(default_factory=utcnow, sa_column=when_column(index=True))
    updated_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    #: For a poll (``Question``): {"options": [...], "end": iso, "closed": bool} as JSON.
    poll_json: str = Field(default="", sa_column=text_column())


class RelayedPost(SQLModel, table=True):
    """A post by someone else that a local group relays (or holds) to its followers."""

    __tablename__ = "relayed_posts"
    __table_args__ = (
        UniqueConstraint("group_id", "object_uri"),
        Index("ix_relayed_posts_group_state", "group_id", "state"),
        # Updates, deletes and replies find posts by the object's URI alone.
        Index("ix_relayed_posts_object_uri", "object_uri"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    object_uri: str = Field(max_length=2048)
    actor_uri: str = Field(max_length=2048, index=True)
    in_reply_to: str = Field(default="", max_length=2048)
    url: str = Field(default="", max_length=2048)
    content_html: str = Field(sa_column=text_column())
    #: The post's title (``name``: Lemmy, WordPress and Mobilizon posts have one).
    title: str = Field(default="", max_length=300)
    #: Content warning (``summary``); with ``sensitive`` the post is shown collapsed.
    summary: str = Field(default="", max_length=1000)
    sensitive: bool = Field(default=False)
    #: JSON list of the attachments (see :class:`server.services.post_shape.Attachment`).
    attachments_json: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, default="[]")
    )
    #: The Create as received (embedded as is in the group's Announce).
    activity_json: str = Field(sa_column=text_column())
    state: RelayState = state_field(RelayState.RELAYED)
    #: Part of a members-only conversation (a members-only proposal's discussion): shared
    #: with the members only, never with followers.
    members_only: bool = Field(default=False)
    #: Our two Announces (of the activity, and of the object id), for Undo.
    announce_uri: str = Field(default="", max_length=2048)
    boost_uri: str = Field(default="", max_length=2048)
    published_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
