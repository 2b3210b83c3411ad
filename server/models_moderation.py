"""Tables of group conversations and moderation: posts relayed by groups (FEP-1b12), actors
blocked from a group, reports, domain and actor policy set by admins, and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow

#: ``relayed``: announced to the followers; ``held``: waiting for a moderator (moderated
#: groups); ``hidden``: a moderator took it off the group (Undo of the Announce sent).
RELAY_STATES = ("relayed", "held", "hidden")
#: What an admin set for a remote domain: ``suspend`` (no traffic at all, followers from
#: there dropped), ``silence`` (their posts are not relayed by groups) or ``allow`` (on the
#: allow-list, for the allowlist federation mode).
DOMAIN_ACTIONS = ("suspend", "silence", "allow")
REPORT_STATES = ("open", "resolved", "forwarded")


def _when(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


def _text() -> Column[str]:
    return Column(Text, nullable=False, default="")


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
    content_html: str = Field(sa_column=_text())
    #: The post's title (``name``: Lemmy, WordPress and Mobilizon posts have one).
    title: str = Field(default="", max_length=300)
    #: Content warning (``summary``); with ``sensitive`` the post is shown collapsed.
    summary: str = Field(default="", max_length=1000)
    sensitive: bool = Field(default=False)
    #: JSON list of the attachments (see :class:`server.services.post_shape.Attachment`).
    attachments_json: str = Field(sa_column=Column(Text, nullable=False, default="[]"))
    #: The Create as received (embedded as is in the group's Announce).
    activity_json: str = Field(sa_column=_text())
    state: str = Field(default="relayed", max_length=16)
    #: Part of a members-only conversation (a members-only proposal's discussion): shared
    #: with the members only, never with followers.
    members_only: bool = Field(default=False)
    #: Our two Announces (of the activity, and of the object id), for Undo.
    announce_uri: str = Field(default="", max_length=2048)
    boost_uri: str = Field(default="", max_length=2048)
    published_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class GroupBlock(SQLModel, table=True):
    """An actor a group's moderators blocked: nothing of theirs is relayed or accepted."""

    __tablename__ = "group_blocks"
    __table_args__ = (UniqueConstraint("group_id", "actor_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    actor_uri: str = Field(max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Report(SQLModel, table=True):
    """A report about an account and/or posts, from a local user or another instance."""

    __tablename__ = "reports"

    id: int | None = Field(default=None, primary_key=True)
    reporter_user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    #: Set for reports from other servers (the Flag's actor).
    reporter_actor_uri: str = Field(default="", max_length=2048)
    target_actor_uri: str = Field(max_length=2048, index=True)
    #: JSON list of the reported objects' URIs.
    object_uris: str = Field(sa_column=_text())
    reason: str = Field(sa_column=_text())
    activity_uri: str = Field(default="", max_length=2048)
    state: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    resolved_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class DomainPolicy(SQLModel, table=True):
    """An admin's decision about a remote domain (on top of the config's lists)."""

    __tablename__ = "domain_policies"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=255, unique=True)
    action: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ActorBlock(SQLModel, table=True):
    """A remote account blocked by the instance's admins: refused at the inbox."""

    __tablename__ = "actor_blocks"

    id: int | None = Field(default=None, primary_key=True)
    actor_uri: str = Field(max_length=2048, unique=True)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class AuditEntry(SQLModel, table=True):
    """One admin or moderator action, kept for accountability."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=2048)
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
