"""Proposals: opening one, voting (local members on the page, remote members by poll), and the
eligibility rules. Tallying is in :mod:`server.services.tally`.

Voting rules: only eligible people's votes count — active members of the group (local or
remote), and, when the proposal says so, only those who checked in at one of the group's
meetups. A vote can be changed until the proposal closes; the latest choice counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server import limits
from server.db import is_row_id, utcnow
from server.errors import Forbidden, InvalidInput, NotFound
from server.i18n import _
from server.markup import render_markdown
from server.models import (
    PROPOSAL_ELIGIBILITY,
    PROPOSAL_METHODS,
    PROPOSAL_VISIBILITIES,
    CheckIn,
    Event,
    Group,
    Proposal,
    ProposalVote,
    RemoteActor,
    User,
    stored_id,
)
from server.services import membership as members
from server.services.rsvp import Attendee, is_member, of_person

DEFAULT_OPTIONS = ("Agree", "Disagree", "Abstain")
MAX_OPTIONS = limits.PROPOSAL_OPTIONS.maximum
#: Option names that mean "I object" (consent) and "I abstain" (counted for quorum only).
OBJECTIONS = frozenset({"disagree", "object", "block"})
ABSTENTIONS = frozenset({"abstain"})
LONGEST = timedelta(days=90)


@dataclass
class ProposalFields:
    """What an organizer or member fills in to open a proposal."""

    title: str
    body: str = ""
    options: list[str] = field(default_factory=lambda: list(DEFAULT_OPTIONS))
    method: str = "majority"
    eligibility: str = "members"
    visibility: str = "members"
    secret: bool = False
    quorum_count: int | None = None
    quorum_percent: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def options_of(proposal: Proposal) -> list[str]:
    """The proposal's options, in order."""
    return [str(option) for option in json.loads(proposal.options_json or "[]")]


def is_objection(option: str) -> bool:
    return option.strip().lower() in OBJECTIONS


def is_abstention(option: str) -> bool:
    return option.strip().lower() in ABSTENTIONS


def _clean_options(raw: list[str], method: str) -> list[str]:
    options: list[str] = []
    for option in (item.strip() for item in raw):
        if option and option.lower() not in {o.lower() for o in options}:
            options.append(option[: limits.OPTION.maximum])
    if len(options) < limits.PROPOSAL_OPTIONS.minimum:
        raise InvalidInput(_("A proposal needs at least two different options."), field="options")
    if len(options) > MAX_OPTIONS:
        raise InvalidInput(
            _("At most %(max_options)s options.") % {"max_options": MAX_OPTIONS}, field="options"
        )
    if method == "consent" and not any(is_objection(option) for option in options):
        raise InvalidInput(
            _("A consent proposal needs an option to object with (Disagree or Object)."),
            field="options",
        )
    return options


def _check(fields: ProposalFields, now: datetime) -> tuple[datetime, datetime]:
    if not fields.title.strip():
        raise InvalidInput(_("Give the proposal a title."), field="title")
    if len(fields.title) > limits.PROPOSAL_TITLE.maximum:
        raise InvalidInput(_("The title is at most 200 characters."), field="title")
    if not limits.PROPOSAL_BODY.allows(fields.body):
        raise InvalidInput(_("The text is at most 20,000 characters."), field="body")
    for name, value, choices, message in (
        ("method", fields.method, PROPOSAL_METHODS, _("Method is one of %(choices)s.")),
        (
            "eligibility",
            fields.eligibility,
            PROPOSAL_ELIGIBILITY,
            _("Eligibility is one of %(choices)s."),
        ),
        (
            "visibility",
            fields.visibility,
            PROPOSAL_VISIBILITIES,
            _("Visibility is one of %(choices)s."),
        ),
    ):
        if value not in choices:
            raise InvalidInput(message % {"choices": ", ".join(choices)}, field=name)
    if fields.quorum_count is not None and not limits.QUORUM_COUNT.allows(fields.quorum_count):
        raise InvalidInput(_("The quorum is a number of votes from 1 up."), field="quorum_count")
    percent = fields.quorum_percent
    if percent is not None and not limits.QUORUM_PERCENT.allows(percent):
        raise InvalidInput(_("The quorum share is from 1 to 100 %."), field="quorum_percent")
    opens = fields.opens_at or now
    closes = fields.closes_at
    if closes is None:
        raise InvalidInput(_("Say when voting closes."), field="closes_at")
    if closes <= max(opens, now):
        raise InvalidInput(_("Voting must close after it opens, in the future."), field="closes_at")
    if closes - opens > LONGEST:
        raise InvalidInput(_("Voting can stay open for at most 90 days."), field="closes_at")
    return opens, closes


async def may_propose(session: AsyncSession, group: Group, user: User | None) -> bool:
    """Whether this user may open proposals in the group (the group's setting)."""
    membership = await members.get_membership(session, group, user)
    if group.proposals_by == "moderators":
        return members.may(user, membership, "moderate")
    return members.may(user, membership, "see_members")


async def create_proposal(
    session: AsyncSession, group: Group, author: User, fields: ProposalFields
) -> Proposal:
    """Open a proposal (members or moderators, per the group's setting)."""
    if not await may_propose(session, group, author):
        raise Forbidden(_("You cannot open proposals in this group."))
    opens, closes = _check(fields, utcnow())
    proposal = Proposal(
        group_id=group.id or 0,
        author_id=author.id,
        title=fields.title.strip(),
        body_md=fields.body,
        body_html=render_markdown(fields.body),
        options_json=json.dumps(_clean_options(fields.options, fields.method)),
        method=fields.method,
        eligibility=fields.eligibility,
        visibility=fields.visibility,
        secret=fields.secret,
        quorum_count=fields.quorum_count,
        quorum_percent=fields.quorum_percent,
        opens_at=opens,
        closes_at=closes,
    )
    session.add(proposal)
    await session.flush()
    return proposal


async def get_proposal(session: AsyncSession, group: Group, proposal_id: int) -> Proposal:
    """A proposal of this group, or NotFound."""
    proposal = await session.get(Proposal, proposal_id) if is_row_id(proposal_id) else None
    if proposal is None or proposal.group_id != group.id:
        raise NotFound(_("No such proposal."))
    return proposal


def is_open(proposal: Proposal, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return proposal.opens_at <= now < proposal.closes_at and proposal.tallied_at is None


async def has_checked_in(session: AsyncSession, group_id: int, attendee: Attendee) -> bool:
    """Whether the person checked in at any meetup of the group."""
    query: SelectOfScalar[int | None] = (
        select(col(CheckIn.id))
        .join(Event, col(Event.id) == col(CheckIn.event_id))
        .where(Event.group_id == group_id)
    )
    return (await session.exec(of_person(query, CheckIn, attendee).limit(1))).first() is not None


async def ineligibility(session: AsyncSession, proposal: Proposal, voter: Attendee) -> str | None:
    """Why this person's vote would not count, or None when it counts."""
    if not await is_member(session, proposal.group_id, voter):
        # A clause: pages read "You cannot vote: <reason>."
        return _("only members of the group can vote on its proposals")
    if proposal.eligibility == "checked_in" and not await has_checked_in(
        session, proposal.group_id, voter
    ):
        return _("only members who checked in at one of the group's meetups can vote on this one")
    return None


async def find_vote(
    session: AsyncSession, proposal: Proposal, voter: Attendee
) -> ProposalVote | None:
    query = select(ProposalVote).where(ProposalVote.proposal_id == proposal.id)
    return (await session.exec(of_person(query, ProposalVote, voter))).first()


async def cast_vote(
    session: AsyncSession,
    proposal: Proposal,
    voter: Attendee,
    option: str,
    *,
    activity_uri: str = "",
) -> tuple[ProposalVote, bool]:
    """Record (or change) a vote; returns it and whether anything changed. Raises with the
    reason when the vote cannot count (closed, not eligible, unknown option)."""
    if not is_open(proposal):
        raise InvalidInput(_("Voting on this proposal is closed."))
    choices = {name.lower(): name for name in options_of(proposal)}
    chosen = choices.get(option.strip().lower())
    if chosen is None:
        raise InvalidInput(
            _("“%(option)s” is not one of the options.") % {"option": option[:100]}, field="option"
        )
    reason = await ineligibility(session, proposal, voter)
    if reason:
        raise Forbidden(reason[0].upper() + reason[1:] + ".")
    vote = await find_vote(session, proposal, voter)
    if vote is not None and vote.option == chosen:
        return vote, False
    if vote is None:
        vote = ProposalVote(
            proposal_id=stored_id(proposal),
            user_id=voter.user_id,
            actor_uri=voter.actor_uri,
            option=chosen,
        )
    vote.option = chosen
    vote.updated_at = utcnow()
    if activity_uri:
        vote.activity_uri = activity_uri[:2048]
    session.add(vote)
    proposal.counts_changed_at = utcnow()
    session.add(proposal)
    await session.flush()
    return vote, True


async def vote_counts(session: AsyncSession, proposal: Proposal) -> dict[str, int]:
    """Votes per option right now (every stored vote; the tally keeps only eligible ones)."""
    query = (
        select(ProposalVote.option, func.count())
        .where(ProposalVote.proposal_id == proposal.id)
        .group_by(col(ProposalVote.option))
    )
    found = dict((await session.exec(query)).all())
    return {option: int(found.get(option, 0)) for option in options_of(proposal)}


async def group_proposals(
    session: AsyncSession, group: Group, *, closed: bool, limit: int = 100
) -> list[Proposal]:
    """Open proposals (closing soonest first) or closed ones (newest first)."""
    query = select(Proposal).where(Proposal.group_id == group.id)
    if closed:
        query = query.where(col(Proposal.tallied_at).is_not(None)).order_by(
            col(Proposal.closes_at).desc()
        )
    else:
        query = query.where(col(Proposal.tallied_at).is_(None)).order_by(col(Proposal.closes_at))
    return list((await session.exec(query.limit(limit))).all())


async def named_votes(session: AsyncSession, proposal: Proposal) -> list[tuple[str, str]]:
    """(who, option) for each vote, local people first — for proposals whose votes are named."""
    query = (
        select(ProposalVote, User, RemoteActor)
        .join(User, col(User.id) == col(ProposalVote.user_id), isouter=True)
        .join(RemoteActor, col(RemoteActor.uri) == col(ProposalVote.actor_uri), isouter=True)
        .where(ProposalVote.proposal_id == proposal.id)
        .order_by(col(ProposalVote.id))
    )
    named: list[tuple[str, str]] = []
    for vote, user, actor in (await session.exec(query)).all():
        who = user.name if user else actor.handle if actor else str(vote.actor_uri)
        named.append((who, vote.option))
    return named
