"""The decisions acceptance scene: a group of five members — two on its own instance, two on
another Hearth instance, one Mastodon-shaped — decides "Move the meetup to Thursdays?" with a
quorum of three. The remote votes arrive as poll votes; the outcome is recorded in the
decisions log and delivered to all five."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.models import Notification, Proposal, ProposalVote, RemoteMember, RemotePost
from tests.decisions.conftest import Club, close_now
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import approve_follow_requests, organize_group, rows


async def _vote_from_home(a: Instance, username: str, option: str) -> None:
    await a.web.logout()
    await a.web.login(username)
    home = await a.web.get("/home")
    assert "Move the meetup to Thursdays?" in home.text
    post_id = home.text.split('action="/home/polls/')[1].split("/")[0]
    response = await a.web.post_form(
        f"/home/polls/{post_id}/vote", {"option": option}, csrf_from="/home"
    )
    assert response.status_code == 303


async def test_five_members_on_three_servers_decide(net: FederationNet, peer: Peer) -> None:
    a = await net.add("a")
    b = await net.add("b")
    group = await organize_group(b, "club", mode="approval")
    club = Club(b.web)

    # Bea joins on b; the organizer approves her.
    await b.web.make_user("bea")
    await club.sign_in("bea")
    await b.web.post_form("/groups/club/join", csrf_from="/groups/club")
    await club.sign_in("organizer")
    approved = await b.web.post_form(
        "/groups/club/members/bea", {"action": "approve"}, csrf_from="/groups/club/members"
    )
    assert approved.status_code == 303

    # Alice and Carl on a follow the group; Mo (Mastodon-shaped) too; approved follows.
    for name in ("alice", "carl"):
        if name == "carl":
            await a.web.logout()
        await a.web.login_as_new(name)
        followed = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
        assert followed.status_code == 303
    mo = peer.add_actor("mo")
    assert (
        await peer.post(net.http, f"{group}/inbox", mo.activity("Follow", group))
    ).status_code == 202
    await net.drain()
    await approve_follow_requests(b, "club")
    await net.drain()
    assert len(await rows(b, RemoteMember)) == 3

    proposal_id = await club.open_proposal(quorum_count=3)
    await net.drain()

    # Votes: the organizer and Bea on the web, Alice and Carl from a's home timeline, Mo by poll.
    await club.vote(proposal_id, "Agree")
    await club.sign_in("bea")
    await club.vote(proposal_id, "Disagree")
    await _vote_from_home(a, "alice", "Agree")
    await _vote_from_home(a, "carl", "Agree")
    question = next(
        item.json()["object"]
        for item in peer.posts()
        if item.json()["object"].get("type") == "Question"
    )
    vote = mo.activity(
        "Create",
        {
            "id": f"{mo.uri}/statuses/1",
            "type": "Note",
            "name": "Abstain",
            "attributedTo": mo.uri,
            "inReplyTo": question["id"],
            "to": [group],
        },
        to=[group],
    )
    assert (await peer.post(net.http, f"{group}/inbox", vote)).status_code == 202
    await net.drain()
    votes = {v.actor_uri or f"local:{v.user_id}": v.option for v in await rows(b, ProposalVote)}
    assert sorted(votes.values()) == ["Abstain", "Agree", "Agree", "Agree", "Disagree"]

    await b.run(lambda session: close_now(session, proposal_id))
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()

    [proposal] = await rows(b, Proposal)
    result = json.loads(proposal.result_json)
    assert (proposal.outcome, result["winner"], result["cast"], result["eligible"]) == (
        "passed",
        "Agree",
        5,
        5,
    )
    log = await b.web.get("/groups/club/decisions")
    assert "Move the meetup to Thursdays?" in log.text and "Passed" in log.text

    # Delivered to all five: notifications on b, a message on a for Alice and Carl, and Mo's inbox.
    async def told(session: Any) -> int:
        query = select(Notification).where(Notification.kind == "proposal_result")
        return len((await session.exec(query)).all())

    assert await b.run(told) == 2
    results_on_a = [p for p in await rows(a, RemotePost) if "passed" in p.content_html]
    assert len(results_on_a) == 1
    for name in ("alice", "carl"):
        await a.web.logout()
        await a.web.login(name)
        assert "“Move the meetup to Thursdays?” passed" in (await a.web.get("/home")).text
    to_mo = [
        item.json()
        for item in peer.posts()
        if item.json()["object"].get("type") == "Note"
        and "passed" in item.json()["object"]["content"]
    ]
    assert len(to_mo) == 1 and mo.uri in to_mo[0]["object"]["to"]
