"""Tables of group decisions and face-to-face trust: proposals and their votes, meetup
check-ins, and the one-time codes that let people from other servers check in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import text_column, when_column

#: majority: an option needs more than half of the votes cast (abstentions aside);
#: consent: passes unless an eligible member objects; poll: decides nothing, counts only.
PROPOSAL_METHODS = ("majority", "consent", "poll")
#: Who may vote: every member, or only members who checked in at one of the group's meetups.
PROPOSAL_ELIGIBILITY = ("members", "checked_in")
PROPOSAL_VISIBILITIES = ("members", "public")
#: What a closed proposal came to.
OUTCOMES = ("passed", "rejected", "no_quorum", "blocked", "poll_closed")
#: Who may open proposals in a group (``Group.proposals_by``).
PROPOSERS = ("members", "moderators")


class Proposal(SQLModel, table=True):
    """A question a group decides by vote."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_group_closes", "group_id", "closes_at"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    title: str = Field(max_length=200)
    body_md: str = Field(default="", sa_column=text_column())
    body_html: str = Field(default="", sa_column=text_column())
    #: Mentions and hashtags of the text (the ``tag`` array) as JSON.
    tags_json: str = Field(default="", sa_column=text_column())
    #: The options as a JSON list of strings, in order.
    options_json: str = Field(sa_column=text_column())
    method: str = Field(default="majority", max_length=16)
    eligibility: str = Field(default="members", max_length=16)
    visibility: str = Field(default="members", max_length=16)
    secret: bool = Field(default=False, description="votes are counted, never shown by name")
    quorum_count: int | None = Field(default=None)
    quorum_percent: int | None = Field(default=None)
    opens_at: datetime = Field(sa_column=when_column())
    closes_at: datetime = Field(sa_column=when_column(index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    #: Set once, by the worker that tallies the proposal (in the same transaction).
    tallied_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    outcome: str = Field(default="", max_length=16)
    #: The count at closing, as JSON: {"options": {name: n}, "eligible": n, "cast": n, …}.
    result_json: str = Field(default="", sa_column=text_column())
    federated_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    counts_changed_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))


class ProposalVote(SQLModel, table=True):
    """One person's vote (their latest choice) on a proposal."""

    __tablename__ = "proposal_votes"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        UniqueConstraint("proposal_id", "actor_uri"),
    )

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", ondelete="CASCADE", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    actor_uri: str | None = Field(default=None, max_length=2048)
    option: str = Field(max_length=200)
    #: The poll-vote Note it came with (remote votes), to ignore a repeat.
    activity_uri: str = Field(default="", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class CheckIn(SQLModel, table=True):
    """Someone was at a meetup: checked in with the code shown there."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        UniqueConstraint("event_id", "actor_uri"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    actor_uri: str | None = Field(default=None, max_length=2048, index=True)
    checked_in_at: datetime = Field(default_factory=utcnow, sa_column=when_column())


class CheckInCode(SQLModel, table=True):
    """A one-time code sent by direct message to prove a fediverse handle at a meetup."""

    __tablename__ = "check_in_codes"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", index=True)
    actor_uri: str = Field(max_length=2048)
    code_hash: str = Field(max_length=64, unique=True)
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    expires_at: datetime = Field(sa_column=when_column())
    used_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
