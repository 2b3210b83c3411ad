"""Closing proposals: majority with and without quorum, consent, polls, and a tally that
happens exactly once — also when a worker dies mid-tally and another takes over."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.activitypub.worker import Worker
from server.models import Notification, Proposal
from server.services.tally import close_proposal
from tests.decisions.conftest import Club, close_now
from tests.web import WebClient


async def _close(run_in_db: Callable[..., Any], proposal_id: int) -> None:
    await run_in_db(lambda session: close_now(session, proposal_id))


async def _outcome(run_in_db: Callable[..., Any], proposal_id: int) -> tuple[str, dict[str, Any]]:
    async def read(session: Any) -> tuple[str, dict[str, Any]]:
        proposal = await session.get(Proposal, proposal_id)
        return proposal.outcome, json.loads(proposal.result_json or "{}")

    return await run_in_db(read)


async def _members_vote(club: Club, proposal_id: int, votes: dict[str, str]) -> None:
    for name, option in votes.items():
        await club.add_member(name)
        await club.vote(proposal_id, option)


@pytest.mark.parametrize(
    ("fields", "votes", "outcome", "winner"),
    [
        ({}, {"ann": "Agree", "bo": "Agree", "cy": "Disagree"}, "passed", "Agree"),
        ({}, {"ann": "Agree", "bo": "Disagree", "cy": "Abstain"}, "rejected", None),
        ({}, {"ann": "Disagree", "bo": "Disagree", "cy": "Agree"}, "rejected", "Disagree"),
        ({"quorum_count": 4}, {"ann": "Agree", "bo": "Agree", "cy": "Agree"}, "no_quorum", None),
        ({"quorum_percent": 75}, {"ann": "Agree", "bo": "Agree", "cy": "Agree"}, "passed", "Agree"),
        (
            {"quorum_count": 3},
            {"ann": "Agree", "bo": "Abstain", "cy": "Abstain"},
            "passed",
            "Agree",
        ),
        ({"method": "consent"}, {"ann": "Agree", "bo": "Agree", "cy": "Disagree"}, "blocked", None),
        ({"method": "consent"}, {"ann": "Agree", "bo": "Abstain"}, "passed", None),
        (
            {"method": "poll", "options": "Tuesday\nThursday\nSaturday"},
            {"ann": "Thursday", "bo": "Thursday", "cy": "Saturday"},
            "poll_closed",
            "Thursday",
        ),
    ],
)
async def test_outcomes(
    club: Club,
    web: WebClient,
    run_in_db: Callable[..., Any],
    fields: dict[str, Any],
    votes: dict[str, str],
    outcome: str,
    winner: str | None,
) -> None:
    proposal_id = await club.open_proposal(**fields)
    await _members_vote(club, proposal_id, votes)
    await _close(run_in_db, proposal_id)
    assert (await Worker(runtime_of(web.app)).run_periodic(force=True))["close due proposals"] == 1
    found, result = await _outcome(run_in_db, proposal_id)
    assert (found, result["winner"]) == (outcome, winner)
    assert result["cast"] == len(votes)
    assert result["eligible"] == len(votes) + 1  # the organizer is a member too
    log = (await web.get("/groups/club/decisions")).text
    assert "Move the meetup to Thursdays?" in log


async def test_tallied_once_across_a_crash_and_a_restart(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    proposal_id = await club.open_proposal(quorum_count=2)
    await _members_vote(club, proposal_id, {"ann": "Agree", "bo": "Agree"})
    await _close(run_in_db, proposal_id)

    async def crash_mid_tally(session: Any) -> None:
        proposal = await session.get(Proposal, proposal_id)
        assert await close_proposal(session, runtime_of(web.app).settings, proposal) is not None
        raise RuntimeError("the worker died before committing")

    with pytest.raises(RuntimeError):
        await run_in_db(crash_mid_tally)
    assert (await _outcome(run_in_db, proposal_id))[0] == ""

    for _ in range(3):  # a new worker (a restart), run again and again
        await Worker(runtime_of(web.app)).run_periodic(force=True)
    assert (await _outcome(run_in_db, proposal_id))[0] == "passed"

    async def results_told(session: Any) -> list[int]:
        rows = await session.exec(
            select(Notification).where(Notification.kind == "proposal_result")
        )
        return sorted(row.user_id for row in rows.all())

    told = await run_in_db(results_told)
    assert len(told) == 3 and len(set(told)) == 3  # organizer, ann, bo: once each

    page = (await web.get(f"/groups/club/proposals/{proposal_id}")).text
    assert "This proposal passed." in page
    markdown = await web.get("/groups/club/decisions.md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "## " in markdown.text and "**Outcome:** passed." in markdown.text
    assert "**Votes:** Agree: 2, Disagree: 0, Abstain: 0 — 2 cast of 3 eligible, quorum 2." in (
        markdown.text
    )
