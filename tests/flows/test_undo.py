"""``Undo`` undoes exactly the activity it names, whether embedded or given by id (issues #14
section 6 and #22): a Mobilizon Join of a meetup or of a group, a Follow, a Friendica answer.

Friendica changes an answer to an Event in two separate jobs: ``Undo{old answer}`` and the new
answer (``friendica/friendica`` ``src/Protocol/ActivityPub/Transmitter.php``,
``createActivityFromItem``: the Undo's id is ``<item uri>/Undo`` and its ``object`` the old
answer, embedded with its own id ``<item uri>``). Either may arrive first; the Undo of the old
answer must never withdraw the new one. Mastodon embeds the Follow it undoes
(``app/serializers/activitypub/undo_follow_serializer.rb``); other servers (e.g. Pleroma,
Misskey for some types) send only the id of the undone activity.
"""

from __future__ import annotations

from typing import Any

from server.models import Follow, Participation, RemoteMember
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import follow_from_peer, organize_group, rows
from tests.flows.test_rsvp_dialects import CLUB, _deliver, _meetup


async def _club(net: FederationNet, peer: Peer, name: str) -> tuple[Instance, PeerActor]:
    b = await net.add("b")
    await organize_group(b, "club")
    person = peer.add_actor(name)
    await follow_from_peer(net, peer, person, b, "club")
    return b, person


async def _meetup_of(net: FederationNet, peer: Peer, name: str) -> tuple[Instance, PeerActor, str]:
    b, person = await _club(net, peer, name)
    event = await _meetup(b)
    await net.drain()
    return b, person, event


async def _statuses(b: Instance) -> dict[str, str]:
    return {p.actor_uri or "": p.status for p in await rows(b, Participation)}


def _friendica_answer(fred: PeerActor, kind: str, event: str, number: int) -> dict[str, Any]:
    """An answer as Friendica's Transmitter builds it: the id is the item's uri."""
    answer = fred.activity(kind, event, to=[CLUB])
    answer["id"] = f"{fred.uri}/objects/answer-{number}"
    return answer


def _friendica_undo(fred: PeerActor, answer: dict[str, Any]) -> dict[str, Any]:
    embedded = {key: value for key, value in answer.items() if key != "@context"}
    undo = fred.activity("Undo", embedded, to=[CLUB])
    undo["id"] = f"{answer['id']}/Undo"
    return undo


async def test_friendica_changing_its_answer_keeps_the_new_one_in_either_order(
    net: FederationNet, peer: Peer
) -> None:
    b, fred, event = await _meetup_of(net, peer, "fred")
    going = _friendica_answer(fred, "Accept", event, 1)
    await _deliver(net, peer, going)
    assert await _statuses(b) == {fred.uri: "going"}

    # The Undo of the old answer arrives first, then the new answer.
    maybe = _friendica_answer(fred, "TentativeAccept", event, 2)
    await _deliver(net, peer, _friendica_undo(fred, going))
    assert await _statuses(b) == {}
    await _deliver(net, peer, maybe)
    assert await _statuses(b) == {fred.uri: "maybe"}

    # The new answer arrives first; the Undo of the old one comes late and changes nothing.
    declined = _friendica_answer(fred, "Reject", event, 3)
    await _deliver(net, peer, declined)
    await _deliver(net, peer, _friendica_undo(fred, maybe))
    assert await _statuses(b) == {fred.uri: "not_going"}

    # Undoing the current answer withdraws it.
    await _deliver(net, peer, _friendica_undo(fred, declined))
    assert await _statuses(b) == {}


async def test_an_undo_of_a_join_by_id_gives_the_seat_back(net: FederationNet, peer: Peer) -> None:
    b, mia, event = await _meetup_of(net, peer, "mia")
    join = mia.activity("Join", event, to=[CLUB])
    await _deliver(net, peer, join)
    eve = peer.add_actor("eve")
    await _deliver(net, peer, eve.activity("Undo", join["id"], to=[CLUB]))  # not hers
    assert await _statuses(b) == {mia.uri: "going"}
    await _deliver(net, peer, mia.activity("Undo", join["id"], to=[CLUB]))
    assert await _statuses(b) == {}


async def test_an_undo_of_an_old_join_leaves_the_new_one(net: FederationNet, peer: Peer) -> None:
    b, mia, event = await _meetup_of(net, peer, "mia")
    first = mia.activity("Join", event, to=[CLUB])
    await _deliver(net, peer, first)
    await _deliver(net, peer, mia.activity("Leave", event, to=[CLUB]))
    second = mia.activity("Join", event, to=[CLUB])
    await _deliver(net, peer, second)
    stale = {key: value for key, value in first.items() if key != "@context"}
    await _deliver(net, peer, mia.activity("Undo", stale, to=[CLUB]))
    await _deliver(net, peer, mia.activity("Undo", first["id"], to=[CLUB]))
    assert await _statuses(b) == {mia.uri: "going"}


async def test_an_undo_of_a_follow_by_id_unfollows_and_an_old_follow_is_left_alone(
    net: FederationNet, peer: Peer
) -> None:
    b, ann = await _club(net, peer, "ann")
    [first] = await rows(b, Follow, Follow.follower_uri == ann.uri)
    follows = await rows(b, Follow)
    refollow = await follow_from_peer(net, peer, ann, b, "club")  # a new Follow, a new id
    assert refollow["id"] != first.activity_uri
    old = {"id": first.activity_uri, "type": "Follow", "actor": ann.uri, "object": CLUB}
    await _deliver(net, peer, ann.activity("Undo", old, to=[CLUB]))
    await _deliver(net, peer, ann.activity("Undo", first.activity_uri, to=[CLUB]))
    assert len(await rows(b, Follow)) == len(follows)
    await _deliver(net, peer, ann.activity("Undo", refollow["id"], to=[CLUB]))
    assert await rows(b, Follow, Follow.follower_uri == ann.uri) == []


async def test_an_undo_of_a_group_join_embedded_or_by_id_ends_that_membership(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    mia, max_ = peer.add_actor("mia"), peer.add_actor("max")
    joins = {person.uri: person.activity("Join", CLUB, to=[CLUB]) for person in (mia, max_)}
    for join in joins.values():
        await _deliver(net, peer, join)
    assert {m.actor_uri for m in await rows(b, RemoteMember)} == {mia.uri, max_.uri}
    await _deliver(net, peer, mia.activity("Undo", joins[mia.uri]["id"], to=[CLUB]))
    embedded = {key: value for key, value in joins[max_.uri].items() if key != "@context"}
    await _deliver(net, peer, max_.activity("Undo", embedded, to=[CLUB]))
    assert await rows(b, RemoteMember) == []
