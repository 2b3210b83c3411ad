"""Tables of the practice grounds: the roles a group's meetups need and who holds them, the
"your turn?" nudges, meetup agendas and minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import text_column, when_column

DEFAULT_ROLES = ("Facilitator", "Note-taker", "Greeter", "Timekeeper")
#: Who may read a group's published minutes.
MINUTES_VISIBILITIES = ("members", "public")


class PracticeSettings(SQLModel, table=True):
    """A group's choices for roles and minutes (a row once an organizer touched them)."""

    __tablename__ = "practice_settings"

    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", primary_key=True)
    minutes_visibility: str = Field(default="members", max_length=16)
    #: Set when the default roles were created, so removing them all does not bring them back.
    roles_seeded_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class MeetupRole(SQLModel, table=True):
    """A role the group's meetups need (facilitator, note-taker…)."""

    __tablename__ = "meetup_roles"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=60)
    position: int = Field(default=0)
    #: The role that runs the meeting (orders the agenda); the note-taker writes minutes.
    kind: str = Field(default="", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class RoleHolder(SQLModel, table=True):
    """Someone holds a role at one meetup."""

    __tablename__ = "meetup_role_holders"
    __table_args__ = (
        UniqueConstraint("event_id", "role_id"),
        Index("ix_meetup_role_holders_user", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", index=True)
    role_id: int = Field(foreign_key="meetup_roles.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    assigned_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    reminded_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class RoleNudge(SQLModel, table=True):
    """Hearth asked a member to take an open role at a meetup ("your turn?")."""

    __tablename__ = "meetup_role_nudges"
    __table_args__ = (UniqueConstraint("event_id", "role_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", index=True)
    role_id: int = Field(foreign_key="meetup_roles.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class AgendaItem(SQLModel, table=True):
    """One item of a meetup's agenda."""

    __tablename__ = "agenda_items"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    title: str = Field(max_length=200)
    note: str = Field(default="", sa_column=text_column())
    #: Who brings the item (a name, free text).
    presenter: str = Field(default="", max_length=100)
    minutes: int = Field(default=10)
    position: int = Field(default=0)
    proposal_id: int | None = Field(default=None, foreign_key="proposals.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class Minutes(SQLModel, table=True):
    """The minutes of a meetup: a draft until published; edits after publishing federate."""

    __tablename__ = "meetup_minutes"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", unique=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=500)
    body_md: str = Field(default="", sa_column=text_column())
    body_html: str = Field(default="", sa_column=text_column())
    visibility: str = Field(default="members", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    published_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    federated_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
