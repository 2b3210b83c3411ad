"""Closing proposals: the count, the outcome, and telling the members — exactly once.

The worker calls :func:`close_due_proposals` every minute. Each due proposal is claimed with
``UPDATE … SET tallied_at WHERE tallied_at IS NULL`` in the same transaction that stores the
outcome and queues the messages, so a proposal is tallied once even across restarts and with
several workers.

Outcomes: ``no_quorum`` when fewer eligible votes were cast (abstentions count) than the
quorum; else ``poll_closed`` for a plain poll; ``blocked`` for a consent proposal someone
objected to, otherwise ``passed``; for majority, ``passed`` when an option other than an
objection has more than half of the votes cast that are not abstentions, else ``rejected``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db import utcnow
from server.i18n import _, content_language, lazy_gettext, pgettext, use_locale
from server.models import (
    CheckIn,
    Event,
    Group,
    Membership,
    MembershipState,
    Proposal,
    ProposalVote,
    RemoteActor,
    RemoteMember,
)
from server.services.news import tell_each
from server.services.notices import Note, group_members, message_people
from server.services.proposals import is_abstention, is_objection, options_of
from server.uris import LocalUris


def outcome_sentences() -> dict[str, str]:
    """The proposal page's sentence for each outcome, whole, in the active language."""
    return {
        "passed": _("This proposal passed."),
        "rejected": _("This proposal was rejected."),
        "no_quorum": _("This proposal did not reach its quorum."),
        "blocked": _("This proposal was blocked by an objection."),
        "poll_closed": _("This proposal closed (a poll: it decides nothing)."),
    }


def outcome_headlines() -> dict[str, str]:
    """The decisions log's heading for each outcome, in the active language."""
    return {
        "passed": pgettext("decision log", "Passed"),
        "rejected": pgettext("decision log", "Was rejected"),
        "no_quorum": pgettext("decision log", "Did not reach its quorum"),
        "blocked": pgettext("decision log", "Was blocked by an objection"),
        "poll_closed": pgettext("decision log", "Closed (a poll: it decides nothing)"),
    }


#: The outcome as a word or two ("**Outcome:** passed."), in the active language when used.
OUTCOME_WORDS = {
    "passed": lazy_gettext("passed"),
    "rejected": lazy_gettext("rejected"),
    "no_quorum": lazy_gettext("no quorum"),
    "blocked": lazy_gettext("blocked by an objection"),
    "poll_closed": lazy_gettext("poll closed (it decides nothing)"),
}


def outcome_word(outcome: str) -> str:
    """:data:`OUTCOME_WORDS` for ``outcome`` as text (the outcome itself when unknown)."""
    word = OUTCOME_WORDS.get(outcome)
    return str(word) if word is not None else outcome


def _outcome_sentence(outcome: str, title: str) -> str:
    sentences = {
        "passed": _("Proposal “%(title)s” passed."),
        "rejected": _("Proposal “%(title)s” was rejected."),
        "no_quorum": _("Proposal “%(title)s” did not reach its quorum."),
        "blocked": _("Proposal “%(title)s” was blocked by an objection."),
        "poll_closed": _("Proposal “%(title)s” closed (a poll: it decides nothing)."),
    }
    return sentences[outcome] % {"title": title}


#: Called after a proposal is tallied (the federation side closes its poll).
ClosedHook = Callable[[AsyncSession, LocalUris, Group, Proposal], Awaitable[None]]
CLOSED_HOOKS: list[ClosedHook] = []


@dataclass(frozen=True)
class Tally:
    """The count of a proposal, from eligible voters only."""

    options: dict[str, int]
    eligible: int
    cast: int
    quorum: int
    outcome: str
    winner: str | None

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass(frozen=True)
class Electorate:
    """Who may vote on a proposal: local user ids and remote actor URIs."""

    users: frozenset[int]
    actors: frozenset[str]

    def __len__(self) -> int:
        return len(self.users) + len(self.actors)

    def includes(self, vote: ProposalVote) -> bool:
        if vote.user_id is not None:
            return vote.user_id in self.users
        return (vote.actor_uri or "") in self.actors


async def electorate(session: AsyncSession, proposal: Proposal) -> Electorate:
    """The active members (local and remote), narrowed to those who checked in at one of
    the group's meetups when the proposal asks for it."""
    users = set(
        (
            await session.exec(
                select(Membership.user_id).where(
                    Membership.group_id == proposal.group_id,
                    Membership.state == MembershipState.ACTIVE,
                )
            )
        ).all()
    )
    actors = set(
        (
            await session.exec(
                select(RemoteMember.actor_uri).where(
                    RemoteMember.group_id == proposal.group_id,
                    RemoteMember.state == MembershipState.ACTIVE,
                )
            )
        ).all()
    )
    if proposal.eligibility == "checked_in":
        attended = (
            await session.exec(
                select(CheckIn.user_id, CheckIn.actor_uri)
                .join(Event, col(Event.id) == col(CheckIn.event_id))
                .where(Event.group_id == proposal.group_id)
            )
        ).all()
        users &= {user for user, _actor in attended if user is not None}
        actors &= {actor for _user, actor in attended if actor is not None}
    return Electorate(frozenset(users), frozenset(actors))


def decide(proposal: Proposal, counts: dict[str, int], eligible: int) -> tuple[str, str | None]:
    """The outcome (and the winning option, if any) of a count; see the module docstring."""
    cast = sum(counts.values())
    quorum = quorum_needed(proposal, eligible)
    if cast < quorum:
        return "no_quorum", None
    if proposal.method == "poll":
        leader = max(counts, key=lambda option: counts[option]) if cast else None
        return "poll_closed", leader
    if proposal.method == "consent":
        objected = any(counts[option] for option in counts if is_objection(option))
        return ("blocked", None) if objected else ("passed", None)
    considered = {option: n for option, n in counts.items() if not is_abstention(option)}
    total = sum(considered.values())
    for option, n in considered.items():
        if total and n * 2 > total:
            return ("rejected", option) if is_objection(option) else ("passed", option)
    return "rejected", None


def quorum_needed(proposal: Proposal, eligible: int) -> int:
    """How many votes must be cast for the outcome to stand (0: no quorum)."""
    share = math.ceil(eligible * proposal.quorum_percent / 100) if proposal.quorum_percent else 0
    return max(proposal.quorum_count or 0, share)


async def count(session: AsyncSession, proposal: Proposal) -> Tally:
    """Count the votes of eligible people as things stand now."""
    voters = await electorate(session, proposal)
    votes = (
        await session.exec(select(ProposalVote).where(ProposalVote.proposal_id == proposal.id))
    ).all()
    counted = Counter(vote.option for vote in votes if voters.includes(vote))
    counts = {option: counted.get(option, 0) for option in options_of(proposal)}
    outcome, winner = decide(proposal, counts, len(voters))
    return Tally(
        counts,
        len(voters),
        sum(counts.values()),
        quorum_needed(proposal, len(voters)),
        outcome,
        winner,
    )


def result_text(proposal: Proposal, tally: Tally) -> str:
    """One paragraph announcing the result."""
    values = {
        "votes": ", ".join(f"{option} {n}" for option, n in tally.options.items()),
        "cast": tally.cast,
        "eligible": tally.eligible,
        "quorum": tally.quorum,
    }
    sentences = [_outcome_sentence(tally.outcome, proposal.title)]
    if tally.winner and tally.outcome != "blocked":
        sentences.append(_("The choice: %(winner)s.") % {"winner": tally.winner})
    if tally.quorum:
        votes = _("Votes: %(votes)s (%(cast)s of %(eligible)s eligible, quorum %(quorum)s).")
    else:
        votes = _("Votes: %(votes)s (%(cast)s of %(eligible)s eligible).")
    sentences.append(votes % values)
    return " ".join(sentences)


async def _claim(session: AsyncSession, proposal: Proposal) -> bool:
    result = await session.exec(
        update(Proposal)
        .where(col(Proposal.id) == proposal.id, col(Proposal.tallied_at).is_(None))
        .values(tallied_at=utcnow())
    )
    return bool(result.rowcount)


async def tell_members(
    session: AsyncSession, settings: Settings, group: Group, proposal: Proposal, tally: Tally
) -> None:
    """The result to every active member: a notification here (in each member's language),
    one message to the others (in the group's)."""
    link = f"/groups/{group.slug}/proposals/{proposal.id}"
    values = {"group": group.name, "title": proposal.title}

    def write() -> Note:
        subject = _("Decided in %(group)s: %(title)s") % values
        return Note("proposal_result", result_text(proposal, tally), link, subject)

    await tell_each(session, settings, await group_members(session, group), write)
    remote = list(
        (
            await session.exec(
                select(RemoteActor)
                .join(RemoteMember, col(RemoteMember.actor_uri) == col(RemoteActor.uri))
                .where(
                    RemoteMember.group_id == group.id, RemoteMember.state == MembershipState.ACTIVE
                )
            )
        ).all()
    )
    if remote:
        uris = LocalUris(settings)
        with use_locale(content_language(group.language, settings.instance.language)):
            text = result_text(proposal, tally)
        await message_people(session, uris, group, remote, f"{text} {uris.base}{link}")


async def close_proposal(
    session: AsyncSession, settings: Settings, proposal: Proposal
) -> Tally | None:
    """Tally one proposal whose voting has closed; None if another worker already did."""
    if not await _claim(session, proposal):
        return None
    await session.refresh(proposal)
    tally = await count(session, proposal)
    proposal.outcome = tally.outcome
    proposal.result_json = tally.as_json()
    session.add(proposal)
    group = await session.get(Group, proposal.group_id)
    if group is not None:
        await tell_members(session, settings, group, proposal, tally)
        for hook in CLOSED_HOOKS:
            await hook(session, LocalUris(settings), group, proposal)
    return tally


async def close_due_proposals(session: AsyncSession, uris: LocalUris) -> int:
    """Tally every proposal whose voting has closed (a periodic worker job)."""
    settings = uris.settings
    due = (
        await session.exec(
            select(Proposal)
            .where(col(Proposal.tallied_at).is_(None), col(Proposal.closes_at) <= utcnow())
            .order_by(col(Proposal.closes_at))
            .limit(50)
        )
    ).all()
    closed = 0
    for proposal in due:
        closed += await close_proposal(session, settings, proposal) is not None
    return closed
