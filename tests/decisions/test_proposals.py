"""Opening proposals, voting and changing one's vote on the web; who may see and vote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from server.db import utcnow
from server.models import Proposal, ProposalVote
from tests.decisions.conftest import Club
from tests.web import WebClient


async def test_member_votes_and_changes_their_vote(club: Club, web: WebClient) -> None:
    proposal_id = await club.open_proposal()
    await club.add_member("bea")
    page = await club.vote(proposal_id, "Disagree")
    assert "Your vote is counted." in page
    assert 'value="Disagree" checked' in page
    page = await club.vote(proposal_id, "Agree")
    assert 'value="Agree" checked' in page and "Change my vote" in page
    assert "1 of 2 eligible have voted" in page
    assert "bea: Agree" in page  # named votes are shown to members


async def test_a_non_member_cannot_vote_or_see_a_members_only_proposal(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    proposal_id = await club.open_proposal()
    public_id = await club.open_proposal(title="Open the library on Sundays?", visibility="public")
    await web.make_user("stranger")
    await club.sign_in("stranger")
    assert (await web.get(f"/groups/club/proposals/{proposal_id}")).status_code == 404
    page = await web.get(f"/groups/club/proposals/{public_id}")
    assert page.status_code == 200
    assert "You cannot vote: only members of the group can vote" in page.text
    response = await web.post_form(
        f"/groups/club/proposals/{public_id}/vote",
        {"option": "Agree"},
        csrf_from=f"/groups/club/proposals/{public_id}",
    )
    assert response.status_code == 303
    assert (
        "Only members of the group can vote" in (await web.get(response.headers["location"])).text
    )
    hidden = await web.post_form(
        f"/groups/club/proposals/{proposal_id}/vote",
        {"option": "Agree"},
        csrf_from=f"/groups/club/proposals/{public_id}",
    )
    assert hidden.status_code == 404  # as the API answers: no hint that it exists

    async def votes(session: Any) -> list[ProposalVote]:
        return list((await session.exec(select(ProposalVote))).all())

    assert await run_in_db(votes) == []


async def test_the_form_explains_bad_input(club: Club, web: WebClient) -> None:
    cases = [
        ({"title": ""}, "Give the proposal a title."),
        ({"options": "Only one"}, "at least two different options"),
        ({"method": "consent", "options": "Yes\nMaybe"}, "needs an option to object with"),
        ({"closes_at": "2001-01-01T10:00"}, "must close after it opens"),
        ({"closes_at": "soon"}, "Enter a date and time"),
        ({"quorum_percent": "150"}, "from 1 to 100"),
        ({"method": "dictator"}, "Method is one of"),
    ]
    for change, message in cases:
        form = {
            "title": "Q?",
            "options": "Agree\nDisagree",
            "method": "majority",
            "closes_at": (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            **change,
        }
        response = await web.post_form(
            "/groups/club/proposals/new", form, csrf_from="/groups/club/proposals/new"
        )
        assert response.status_code == 400, change
        assert message in response.text, (change, response.text[:300])


async def test_only_moderators_propose_when_the_group_says_so(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    async def moderators_only(session: Any) -> None:
        from server.models import Group

        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        group.proposals_by = "moderators"
        session.add(group)

    await run_in_db(moderators_only)
    await club.add_member("bea")
    assert (await web.get("/groups/club/proposals/new")).status_code == 403
    await club.sign_in("organizer")
    assert await club.open_proposal() > 0

    async def count(session: Any) -> int:
        return len((await session.exec(select(Proposal))).all())

    assert await run_in_db(count) == 1


async def test_voting_after_the_close_is_refused(
    club: Club, web: WebClient, run_in_db: Callable[..., Any]
) -> None:
    proposal_id = await club.open_proposal()

    async def close_now(session: Any) -> None:
        proposal = await session.get(Proposal, proposal_id)
        proposal.closes_at = utcnow() - timedelta(minutes=1)
        session.add(proposal)

    await run_in_db(close_now)
    page = await club.vote(proposal_id, "Agree")
    assert "Voting on this proposal is closed." in page
