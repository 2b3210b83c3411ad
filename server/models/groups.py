"""Groups and who belongs to them: local memberships, remote members, tags."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import state_field, when_column


class MembershipMode(StrEnum):
    """How people join a group: at once, on a moderator's approval, or only when invited."""

    OPEN = "open"
    APPROVAL = "approval"
    INVITE = "invite"


class MembershipState(StrEnum):
    """A local membership's or a remote member's state."""

    ACTIVE = "active"
    PENDING = "pending"
    INVITED = "invited"


GROUP_VISIBILITIES = ("public", "unlisted")
MEMBERSHIP_MODES = tuple(mode.value for mode in MembershipMode)
ROLES = ("admin", "moderator", "member")
MEMBERSHIP_STATES = tuple(state.value for state in MembershipState)
POSTING_POLICIES = ("members", "followers", "moderated")
#: How a remote person became (or asks to become) a member.
REMOTE_MEMBER_VIAS = ("join", "follow", "invite")


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
    membership_mode: MembershipMode = state_field(MembershipMode.OPEN)
    #: Who may open proposals: "members" or "moderators" (server.models.decisions.PROPOSERS).
    proposals_by: str = Field(default="members", max_length=16)
    #: Whose public posts that mention or address the group it relays to its followers:
    #: ``members`` (default), ``followers`` (anyone following), ``moderated`` (held for review).
    posting_policy: str = Field(default="members", max_length=16)
    #: Set when an instance admin suspended the group: hidden, and nothing federates.
    suspended_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    #: The actor URIs this group was before it moved here (one per line): ``alsoKnownAs``.
    also_known_as: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: The actor this group moved to (``movedTo``); its pages then redirect there.
    moved_to: str = Field(default="", max_length=2048)
    #: The language the group writes in (a BCP 47 tag): what Hearth federates for it is
    #: written in it and tagged with it (``contentMap``); "" is the instance's language.
    language: str = Field(default="", max_length=16)
    private_key_pem: str = Field(
        default="", sa_column=Column(Text, nullable=False, default=""), repr=False
    )
    public_key_pem: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


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
    state: MembershipState = state_field(MembershipState.ACTIVE)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class RemoteMember(SQLModel, table=True):
    """A person on another server who is (or asks to be) a member of a local group."""

    __tablename__ = "remote_members"
    __table_args__ = (UniqueConstraint("group_id", "actor_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    actor_uri: str = Field(max_length=2048, index=True)
    role: str = Field(default="member", max_length=16)
    state: MembershipState = state_field(MembershipState.PENDING)
    via: str = Field(default="join", max_length=16)
    #: The Join (or Follow) activity it answers, for Accept/Reject ``object``.
    activity_uri: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
