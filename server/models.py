"""Tables. Every change here comes with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow

USER_STATES = ("active", "pending", "rejected", "suspended")
GROUP_VISIBILITIES = ("public", "unlisted")
MEMBERSHIP_MODES = ("open", "approval", "invite")
ROLES = ("admin", "moderator", "member")
MEMBERSHIP_STATES = ("active", "pending", "invited")
POSTING_POLICIES = ("members", "followers", "moderated")


def _when(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class User(SQLModel, table=True):
    """A local account."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=30, unique=True, index=True)
    display_name: str = Field(default="", max_length=100)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255, repr=False)
    is_admin: bool = Field(default=False)
    state: str = Field(default="active", max_length=16)
    signup_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    bio: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    private_key_pem: str = Field(
        default="", sa_column=Column(Text, nullable=False, default=""), repr=False
    )
    public_key_pem: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    last_login_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    #: Part of the private "my events" feed token: bumping it revokes the old feed URL.
    calendar_key_version: int = Field(default=0)
    #: Part of every session's stamp: raised when the user signs out, which ends every
    #: session of the account (a copied cookie included).
    session_version: int = Field(default=0)

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Group(SQLModel, table=True):
    """A local group: its page, its actor and its members."""

    __tablename__ = "groups"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=30, unique=True, index=True)
    name: str = Field(max_length=100)
    summary_md: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary_html: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    avatar: str = Field(default="", max_length=80)
    banner: str = Field(default="", max_length=80)
    location: str = Field(default="", max_length=200)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    visibility: str = Field(default="public", max_length=16)
    membership_mode: str = Field(default="open", max_length=16)
    #: Who may open proposals: "members" or "moderators" (server.models_decisions.PROPOSERS).
    proposals_by: str = Field(default="members", max_length=16)
    #: Whose public posts that mention or address the group it relays to its followers:
    #: ``members`` (default), ``followers`` (anyone following), ``moderated`` (held for review).
    posting_policy: str = Field(default="members", max_length=16)
    #: Set when an instance admin suspended the group: hidden, and nothing federates.
    suspended_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    #: The actor URIs this group was before it moved here (one per line): ``alsoKnownAs``.
    also_known_as: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: The actor this group moved to (``movedTo``); its pages then redirect there.
    moved_to: str = Field(default="", max_length=2048)
    private_key_pem: str = Field(
        default="", sa_column=Column(Text, nullable=False, default=""), repr=False
    )
    public_key_pem: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class GroupTag(SQLModel, table=True):
    """One tag of a group (lowercase, without '#')."""

    __tablename__ = "group_tags"
    __table_args__ = (UniqueConstraint("group_id", "tag"), Index("ix_group_tags_tag", "tag"))

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    tag: str = Field(max_length=64)


class Membership(SQLModel, table=True):
    """A local user's place in a group: role and state."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    role: str = Field(default="member", max_length=16)
    state: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    last_used_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class Invite(SQLModel, table=True):
    """An instance invite link for sign-up when registration is by invitation."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    max_uses: int = Field(default=1)
    uses: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())


class PasswordReset(SQLModel, table=True):
    """A single-use password reset token; only its SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class InstanceSetting(SQLModel, table=True):
    """An instance setting changed by an admin in the web UI; overrides the config file."""

    __tablename__ = "instance_settings"

    key: str = Field(primary_key=True, max_length=64)
    # repr=False: the instance actor's private key is stored here.
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""), repr=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())
