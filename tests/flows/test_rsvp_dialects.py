"""RSVP from other servers in each dialect (issue #5): a Mastodon-shaped account votes in the
meetup's poll, Mobilizon sends Join/Leave and gets an Accept it can verify, Friendica sends
Accept / TentativeAccept / Reject of the Event; counts go back out as Update. The 11th Join to
a 10-seat meetup is waitlisted (told so, with a Reject giving the reason) and promoted (an
Accept) when someone leaves."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest

from server.activitypub import event_poll
from server.activitypub.runtime import runtime_of
from server.models import InboxActivity, Participation
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor, fetch_public_key, verify_cavage
from tests.flows.scenes import follow_from_peer, organize_group, rows

CLUB = "https://b.test/groups/club"


@pytest.fixture(autouse=True)
def counts_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_poll, "COUNTS_EVERY", timedelta(0))


async def _club(net: FederationNet, peer: Peer, *names: str) -> tuple[Instance, list[PeerActor]]:
    b = await net.add("b")
    await organize_group(b, "club")
    actors = [peer.add_actor(name) for name in names]
    for actor in actors:
        await follow_from_peer(net, peer, actor, b, "club")
    peer.received.clear()
    return b, actors


async def _meetup(b: Instance, **changes: Any) -> str:
    data = {**FORM, **{key: str(value) for key, value in changes.items()}}
    response = await b.web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    return f"https://b.test{response.headers['location']}"


def _sent(peer: Peer, kind: str, to: PeerActor | None = None) -> list[dict[str, Any]]:
    found = []
    for received in peer.posts():
        activity = received.json()
        if activity.get("type") != kind:
            continue
        if to is not None and to.uri not in [*activity.get("to", []), *activity.get("cc", [])]:
            continue
        found.append(activity)
    return found


def _vote(actor: PeerActor, poll: str, option: str, number: int = 1) -> dict[str, Any]:
    note = {
        "id": f"{actor.uri}/statuses/vote-{number}",
        "type": "Note",
        "name": option,
        "attributedTo": actor.uri,
        "inReplyTo": poll,
        "to": [CLUB],
    }
    return actor.activity("Create", note, to=[CLUB])


async def _deliver(net: FederationNet, peer: Peer, activity: dict[str, Any]) -> None:
    response = await peer.post(net.http, f"{CLUB}/inbox", activity)
    assert response.status_code == 202, response.text
    await net.drain()


async def _statuses(b: Instance) -> dict[str, str]:
    return {p.actor_uri or "": p.status for p in await rows(b, Participation)}


def _direct_messages(peer: Peer, to: PeerActor) -> list[str]:
    sent = _sent(peer, "Create", to)
    return [html.unescape(a["object"]["content"]) for a in sent if a["to"] == [to.uri]]


async def test_a_mastodon_account_rsvps_by_voting_and_can_change_its_vote(
    net: FederationNet, peer: Peer
) -> None:
    b, [mo] = await _club(net, peer, "mo")
    event = await _meetup(b)
    await net.drain()
    [created_event] = [a for a in _sent(peer, "Create") if a["object"]["type"] == "Event"]
    [created_poll] = [a for a in _sent(peer, "Create") if a["object"]["type"] == "Question"]
    poll = created_poll["object"]
    assert poll["inReplyTo"] == created_event["object"]["id"] == event
    assert poll["attributedTo"] == CLUB
    assert [o["name"] for o in poll["oneOf"]] == ["Going", "Maybe", "Can't make it"]
    assert poll["to"] == created_event["object"]["to"]

    await _deliver(net, peer, _vote(mo, poll["id"], "Going"))
    assert await _statuses(b) == {mo.uri: "going"}
    [confirmation] = _direct_messages(peer, mo)
    assert "You're going to “Repair café”" in confirmation
    attendees = (await b.web.get(event.removeprefix("https://b.test"))).text
    assert "@mo@peer.test" in attendees and "<strong>1</strong> going" in attendees

    await _deliver(net, peer, _vote(mo, poll["id"], "Maybe", number=2))
    await _deliver(net, peer, _vote(mo, poll["id"], "Maybe", number=2))  # delivered twice
    assert await _statuses(b) == {mo.uri: "maybe"}
    assert len(_direct_messages(peer, mo)) == 2  # one per change, none for the repeat

    peer.received.clear()
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    updated = {a["object"]["type"]: a["object"] for a in _sent(peer, "Update")}
    totals = {o["name"]: o["replies"]["totalItems"] for o in updated["Question"]["oneOf"]}
    assert totals == {"Going": 0, "Maybe": 1, "Can't make it": 0}
    assert updated["Event"]["participantCount"] == 0


async def test_a_vote_for_someone_else_or_no_option_counts_for_nothing(
    net: FederationNet, peer: Peer
) -> None:
    b, [mo, eve] = await _club(net, peer, "mo", "eve")
    event = await _meetup(b)
    await net.drain()
    forged = _vote(eve, f"{event}/poll", "Going")
    forged["object"]["attributedTo"] = mo.uri
    await _deliver(net, peer, forged)
    await _deliver(net, peer, _vote(mo, f"{event}/poll", "Perhaps"))
    assert await _statuses(b) == {}


async def test_mobilizon_join_gets_an_accept_signed_by_the_group_and_leave_frees_the_seat(
    net: FederationNet, peer: Peer
) -> None:
    b, [mia] = await _club(net, peer, "mia")
    event = await _meetup(b)
    await net.drain()
    peer.received.clear()
    join = mia.activity("Join", event, to=[CLUB], participationMessage="See you there")
    await _deliver(net, peer, join)
    assert await _statuses(b) == {mia.uri: "going"}
    [accept] = _sent(peer, "Accept", mia)
    assert accept["actor"] == CLUB
    assert accept["object"]["id"] == join["id"] and accept["object"]["object"] == event
    [received] = [r for r in peer.posts() if r.json()["type"] == "Accept"]
    key_id, pem = await fetch_public_key(net.http, CLUB)
    assert verify_cavage(received, pem)["keyId"] == key_id

    await _deliver(net, peer, mia.activity("Leave", event, to=[CLUB]))
    assert await _statuses(b) == {}


async def test_friendica_answers_are_going_maybe_and_not_going_and_undo_withdraws(
    net: FederationNet, peer: Peer
) -> None:
    b, [fred] = await _club(net, peer, "fred")
    event = await _meetup(b)
    await net.drain()
    for kind, status in (
        ("TentativeAccept", "maybe"),
        ("Accept", "going"),
        ("Reject", "not_going"),
    ):
        await _deliver(net, peer, fred.activity(kind, {"id": event, "type": "Event"}))
        assert await _statuses(b) == {fred.uri: status}
    answer = fred.activity("Accept", event)
    await _deliver(net, peer, answer)
    await _deliver(net, peer, fred.activity("Undo", answer))
    assert await _statuses(b) == {}
    # An Accept of something that is not a meetup is still an answer to a follow.
    follow_answer = fred.activity("Accept", {"type": "Follow", "actor": "https://b.test/users/x"})
    await _deliver(net, peer, follow_answer)
    assert await _statuses(b) == {}
    [handled] = await rows(b, InboxActivity, InboxActivity.activity_uri == follow_answer["id"])
    assert handled.result == "ignored: no follow of ours to accept"  # the follow handler's


async def test_the_eleventh_join_to_ten_seats_waits_and_is_promoted_when_one_leaves(
    net: FederationNet, peer: Peer
) -> None:
    names = [f"m{number}" for number in range(11)]
    b, people = await _club(net, peer, *names)
    event = await _meetup(b, capacity=10)
    await net.drain()
    peer.received.clear()
    joins = {}
    for person in people:
        joins[person.name] = person.activity("Join", event, to=[CLUB])
        await _deliver(net, peer, joins[person.name])
    statuses = await _statuses(b)
    assert sorted(statuses.values()) == ["going"] * 10 + ["waitlisted"]
    eleventh = people[10]
    assert statuses[eleventh.uri] == "waitlisted"
    assert not _sent(peer, "Accept", eleventh)
    [reject] = _sent(peer, "Reject", eleventh)
    assert reject["object"]["id"] == joins["m10"]["id"]
    assert "you are #1 on the waitlist" in reject["content"]
    assert any("#1 on the waitlist" in text for text in _direct_messages(peer, eleventh))

    await _deliver(net, peer, people[0].activity("Leave", event, to=[CLUB]))
    statuses = await _statuses(b)
    assert statuses[eleventh.uri] == "going" and people[0].uri not in statuses
    [accept] = _sent(peer, "Accept", eleventh)
    assert accept["object"]["id"] == joins["m10"]["id"]
    assert any("A seat freed up" in text for text in _direct_messages(peer, eleventh))

    peer.received.clear()
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    [update] = [a["object"] for a in _sent(peer, "Update") if a["object"]["type"] == "Event"]
    assert (update["participantCount"], update["remainingAttendeeCapacity"]) == (10, 0)


async def test_a_join_to_a_members_only_meetup_from_a_stranger_is_rejected_with_the_reason(
    net: FederationNet, peer: Peer
) -> None:
    b, [stranger] = await _club(net, peer, "stranger")
    event = await _meetup(b, join_mode="invite")
    await net.drain()
    join = stranger.activity("Join", event, to=[CLUB])
    await _deliver(net, peer, join)
    assert await _statuses(b) == {}
    [reject] = _sent(peer, "Reject", stranger)
    assert reject["object"]["id"] == join["id"]
    assert "Only members of the group" in reject["content"]


async def test_a_join_to_a_restricted_meetup_waits_for_the_organizer(
    net: FederationNet, peer: Peer
) -> None:
    b, [mia] = await _club(net, peer, "mia")
    event = await _meetup(b, join_mode="restricted")
    await net.drain()
    peer.received.clear()
    join = mia.activity("Join", event, to=[CLUB])
    await _deliver(net, peer, join)
    assert await _statuses(b) == {mia.uri: "pending"}
    assert not _sent(peer, "Accept", mia)
    path = event.removeprefix("https://b.test")
    page = (await b.web.get(path)).text
    [action] = re.findall(rf'action="({path}/participants/\d+)"', page)
    response = await b.web.post_form(action, {"action": "approve"}, csrf_from=path)
    assert response.status_code == 303
    await net.drain()
    assert await _statuses(b) == {mia.uri: "going"}
    [accept] = _sent(peer, "Accept", mia)
    assert accept["object"]["id"] == join["id"]
