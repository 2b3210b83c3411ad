"""Proposals as fediverse polls: a Mastodon-shaped member votes with one click, changes the
vote, a non-member's vote is refused with a direct message, counts and the closed poll go
out as ``Update{Question}``, and members-only polls are readable only by members."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub import proposal_poll
from server.activitypub.runtime import runtime_of
from server.models import Group, ProposalVote, RemoteMember
from tests.decisions.conftest import Club, close_now
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, PeerActor, sign_cavage
from tests.flows.scenes import follow_from_peer, rows


async def _make_member(net: FederationNet, peer: Peer, b: Instance, name: str) -> PeerActor:
    actor = peer.add_actor(name)
    await follow_from_peer(net, peer, actor, b, "club")

    async def join(session: Any) -> None:
        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        session.add(
            RemoteMember(group_id=group.id, actor_uri=actor.uri, state="active", via="follow")
        )

    await b.run(join)
    return actor


def _received(
    peer: Peer, actor: PeerActor | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    found = []
    for item in peer.posts():
        activity = item.json()
        if kind and activity.get("type") != kind:
            continue
        if actor and actor.uri not in [*activity.get("to", []), *activity.get("cc", [])]:
            continue
        found.append(activity)
    return found


def _vote(actor: PeerActor, proposal: str, group: str, option: str) -> dict[str, Any]:
    note = {
        "id": f"{actor.uri}/statuses/{option.lower()}-{len(option)}",
        "type": "Note",
        "name": option,
        "attributedTo": actor.uri,
        "inReplyTo": proposal,
        "to": [group],
    }
    return actor.activity("Create", note, to=[group])


@pytest.fixture
async def setup(net: FederationNet, peer: Peer) -> tuple[Instance, Club, str, str]:
    b = await net.add("b")
    await b.web.login_as_new("organizer")
    assert (await b.web.create_group("club", "Chess Club")).status_code == 303
    club = Club(b.web)
    return b, club, b.uris.group("club"), ""


async def test_a_mastodon_member_votes_in_the_poll(
    net: FederationNet,
    peer: Peer,
    setup: tuple[Instance, Club, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(proposal_poll, "COUNTS_EVERY", timedelta(0))
    b, club, group, _ = setup
    mo = await _make_member(net, peer, b, "mo")
    stranger = peer.add_actor("stranger")
    proposal_id = await club.open_proposal(quorum_count=1)
    await net.drain()
    [create] = _received(peer, mo, "Create")
    question = create["object"]
    assert question["type"] == "Question" and question["to"] == [mo.uri]
    assert [option["name"] for option in question["oneOf"]] == ["Agree", "Disagree", "Abstain"]
    assert "Move the meetup to Thursdays?" in question["content"]
    uri = question["id"]

    for option in ("Disagree", "Agree", "Agree"):  # a change, then the same vote again
        response = await peer.post(net.http, f"{group}/inbox", _vote(mo, uri, group, option))
        assert response.status_code == 202
        await net.drain()
    [vote] = await rows(b, ProposalVote)
    assert (vote.actor_uri, vote.option) == (mo.uri, "Agree")
    page = await b.web.get(f"/groups/club/proposals/{proposal_id}")
    assert "@mo@peer.test: Agree" in page.text

    refused = await peer.post(net.http, f"{group}/inbox", _vote(stranger, uri, group, "Disagree"))
    assert refused.status_code == 202
    await net.drain()
    assert len(await rows(b, ProposalVote)) == 1
    [why] = _received(peer, stranger, "Create")
    assert "was not counted: Only members of the group can vote" in why["object"]["content"]

    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    updates = _received(peer, mo, "Update")
    assert updates, "the new counts were not sent"
    totals = {o["name"]: o["replies"]["totalItems"] for o in updates[-1]["object"]["oneOf"]}
    assert totals == {"Agree": 1, "Disagree": 0, "Abstain": 0}
    assert updates[-1]["object"]["votersCount"] == 1

    await b.run(lambda session: close_now(session, proposal_id))
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    closed = _received(peer, mo, "Update")[-1]["object"]
    assert "closed" in closed
    results = [a for a in _received(peer, mo, "Create") if a["object"]["type"] == "Note"]
    assert any("passed" in a["object"]["content"] for a in results)


async def test_members_only_polls_are_served_only_to_members(
    net: FederationNet, peer: Peer, setup: tuple[Instance, Club, str, str]
) -> None:
    b, club, _, _ = setup
    mo = await _make_member(net, peer, b, "mo")
    outsider = peer.add_actor("outsider")
    proposal_id = await club.open_proposal()
    url = f"https://b.test/groups/club/proposals/{proposal_id}"

    async def fetch(by: PeerActor | None) -> int:
        headers = {"accept": AS_TYPE}
        if by is not None:
            headers |= sign_cavage(
                by.key, by.key_id, "GET", url, b"", signed=("(request-target)", "host", "date")
            )
        response = await net.http.get(url, headers=headers)
        if response.status_code == 200:
            assert response.json()["type"] == "Question"
        return response.status_code

    assert await fetch(None) == 404
    assert await fetch(outsider) == 404
    assert await fetch(mo) == 200
    public_id = await club.open_proposal(title="Paint the hall?", visibility="public")
    response = await net.http.get(
        f"https://b.test/groups/club/proposals/{public_id}", headers={"accept": AS_TYPE}
    )
    assert response.status_code == 200 and json.loads(response.text)["name"] == "Paint the hall?"
    await net.drain()
    public_creates = [
        a for a in _received(peer, None, "Create") if a["object"].get("name") == "Paint the hall?"
    ]
    assert len(public_creates) == 1  # one delivery to the peer's shared inbox, not two
    assert public_creates[0]["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
