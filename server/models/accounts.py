"""People and the instance: accounts, API tokens, invitations, password resets and the
instance's settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, when_column


class UserState(StrEnum):
    """An account's state: ``pending`` waits for an admin's approval."""

    ACTIVE = "active"
    PENDING = "pending"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


USER_STATES = tuple(state.value for state in UserState)


class User(SQLModel, table=True):
    """A local account."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=30, unique=True, index=True)
    display_name: str = Field(default="", max_length=100)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255, repr=False)
    is_admin: bool = Field(default=False)
    state: UserState = state_field(UserState.ACTIVE)
    signup_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    bio: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    private_key_pem: str = Field(
        default="", sa_column=Column(Text, nullable=False, default=""), repr=False
    )
    public_key_pem: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    last_login_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    #: Part of the private "my events" feed token: bumping it revokes the old feed URL.
    calendar_key_version: int = Field(default=0)
    #: Part of every session's stamp: raised when the user signs out, which ends every
    #: session of the account (a copied cookie included).
    session_version: int = Field(default=0)
    #: The language the member reads Hearth in (a tag from server.i18n); "" follows the
    #: browser's Accept-Language, then the instance's language.
    language: str = Field(default="", max_length=16)

    @property
    def name(self) -> str:
        return self.display_name or self.username


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    last_used_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class Invite(SQLModel, table=True):
    """An instance invite link for sign-up when registration is by invitation."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    max_uses: int = Field(default=1)
    uses: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    expires_at: datetime = Field(sa_column=when_column())


class PasswordReset(SQLModel, table=True):
    """A single-use password reset token; only its SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    expires_at: datetime = Field(sa_column=when_column())
    used_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class InstanceSetting(SQLModel, table=True):
    """An instance setting changed by an admin in the web UI; overrides the config file."""

    __tablename__ = "instance_settings"

    key: str = Field(primary_key=True, max_length=64)
    # repr=False: the instance actor's private key is stored here.
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""), repr=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
