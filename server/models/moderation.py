"""Moderation: blocks, reports, domain policies and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, text_column, when_column

#: What an admin set for a remote domain: ``suspend`` (no traffic at all, followers from
#: there dropped), ``silence`` (their posts are not relayed by groups) or ``allow`` (on the
#: allow-list, for the allowlist federation mode).
DOMAIN_ACTIONS = ("suspend", "silence", "allow")


class ReportState(StrEnum):
    """A report's state: waiting for an admin, dealt with here, or sent to the reported's server."""

    OPEN = "open"
    RESOLVED = "resolved"
    FORWARDED = "forwarded"


REPORT_STATES = tuple(state.value for state in ReportState)


class GroupBlock(SQLModel, table=True):
    """An actor a group's moderators blocked: nothing of theirs is relayed or accepted."""

    __tablename__ = "group_blocks"
    __table_args__ = (UniqueConstraint("group_id", "actor_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    actor_uri: str = Field(max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class Report(SQLModel, table=True):
    """A report about an account and/or posts, from a local user or another instance."""

    __tablename__ = "reports"

    id: int | None = Field(default=None, primary_key=True)
    reporter_user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    #: Set for reports from other servers (the Flag's actor).
    reporter_actor_uri: str = Field(default="", max_length=2048)
    target_actor_uri: str = Field(max_length=2048, index=True)
    #: JSON list of the reported objects' URIs.
    object_uris: str = Field(sa_column=text_column())
    reason: str = Field(sa_column=text_column())
    activity_uri: str = Field(default="", max_length=2048)
    state: ReportState = state_field(ReportState.OPEN)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    resolved_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class DomainPolicy(SQLModel, table=True):
    """An admin's decision about a remote domain (on top of the config's lists)."""

    __tablename__ = "domain_policies"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=255, unique=True)
    action: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class ActorBlock(SQLModel, table=True):
    """A remote account blocked by the instance's admins: refused at the inbox."""

    __tablename__ = "actor_blocks"

    id: int | None = Field(default=None, primary_key=True)
    actor_uri: str = Field(max_length=2048, unique=True)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class AuditEntry(SQLModel, table=True):
    """One admin or moderator action, kept for accountability."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=2048)
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
