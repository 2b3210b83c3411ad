"""Origin and ownership: an activity speaks only for its signer, and an object only for its
own server (Mastodon CVE-2024-23832, Fedify CVE-2025-54888). Every forged case is refused
at the door (4xx, nothing stored) or stored and ignored by the worker: no row changes,
nothing is delivered, nothing is fetched from the host the forgery points at."""

from __future__ import annotations

import pytest

from server.models import RemotePost
from tests.federation_net import FederationNet
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import rows
from tests.security.conftest import Target
from tests.security.harness import Watch, know, post_signed
from tests.security.hostile import Hostile
from tests.security.scenes import deliver, local_follows, note


async def test_activity_signed_by_another_actor_is_refused(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    mallory = peer.add_actor("mallory")
    await know(target.b, mallory)
    watch = await Watch.start(net, target.b)
    follow = target.bob.activity("Follow", target.group)
    response = await post_signed(net, mallory, target.inbox, follow)
    await watch.assert_untouched(response, 401)
    assert "does not belong" in response.json()["error"]


async def test_key_of_another_server_cannot_speak_for_a_peer_actor(
    net: FederationNet, target: Target, evil: Hostile
) -> None:
    eve = evil.actor("eve")
    await know(target.b, eve)
    watch = await Watch.start(net, target.b)
    response = await post_signed(
        net, eve, target.inbox, target.bob.activity("Follow", target.group)
    )
    await watch.assert_untouched(response, 401)


async def test_activity_id_on_another_server_is_refused(net: FederationNet, target: Target) -> None:
    watch = await Watch.start(net, target.b)
    follow = {**target.bob.activity("Follow", target.group), "id": "https://evil.test/f/1"}
    response = await post_signed(net, target.bob, target.inbox, follow)
    await watch.assert_untouched(response, 400)


async def test_embedded_actor_object_is_judged_by_its_id(
    net: FederationNet, peer: Peer, target: Target
) -> None:
    mallory = peer.add_actor("mallory")
    await know(target.b, mallory)
    watch = await Watch.start(net, target.b)
    follow = {
        **mallory.activity("Follow", target.group),
        "actor": {"id": target.bob.uri, "type": "Person"},
    }
    response = await post_signed(net, mallory, target.inbox, follow)
    await watch.assert_untouched(response, 401)


# --- objects that are not the sender's --------------------------------------------------


@pytest.fixture
async def followed(net: FederationNet, peer: Peer, target: Target) -> PeerActor:
    """lucy on b follows bob and alice (both on peer.test); alice has posted status 1."""
    alice = peer.add_actor("alice")
    await local_follows(target.b, target.bob, alice)
    await deliver(net, peer, "https://b.test/inbox", alice.activity("Create", note(alice, 1)))
    [post] = await rows(target.b, RemotePost)
    assert post.uri == f"{alice.uri}/statuses/1"
    return alice


def forged_objects(bob: PeerActor, alice: PeerActor, group: str) -> dict[str, tuple[str, object]]:
    """Activities bob may sign but must not get away with, by name."""
    local_post = f"{group}/posts/1"
    return {
        "note on another server": ("Create", {**note(bob, 2), "id": "https://evil.test/n/1"}),
        "note by reference to another server": ("Create", "https://evil.test/n/1"),
        "note attributed to alice": ("Create", note(alice, 7)),
        "note with alice's id": ("Create", {**note(bob, 1), "id": f"{alice.uri}/statuses/1"}),
        "update of our group": ("Update", {"id": group, "type": "Group", "name": "Pwned"}),
        "update of a local post": ("Update", {**note(bob, 1), "id": local_post}),
        "update of alice's post": ("Update", {**note(alice, 1), "content": "Pwned"}),
        "update of alice's post as bob's": (
            "Update",
            {**note(bob, 1), "id": f"{alice.uri}/statuses/1", "content": "Pwned"},
        ),
        "update of alice herself": ("Update", {"id": alice.uri, "type": "Person", "name": "x"}),
        "delete of alice's post": ("Delete", f"{alice.uri}/statuses/1"),
        "delete of alice's post as a tombstone": (
            "Delete",
            {"id": f"{alice.uri}/statuses/1", "type": "Tombstone"},
        ),
        "delete of alice": ("Delete", alice.uri),
        "delete of our group": ("Delete", group),
        "delete of a local post": ("Delete", local_post),
        "undo of alice's follow": (
            "Undo",
            {"type": "Follow", "actor": alice.uri, "object": alice.uri},
        ),
        "event for a group elsewhere": (
            "Create",
            {
                **note(bob, 3),
                "type": "Event",
                "name": "Fake meetup",
                "attributedTo": "https://evil.test/groups/g",
                "startTime": "2030-05-03T14:00:00Z",
            },
        ),
    }


FORGERIES = list(forged_objects(PeerActor("peer.test", "x"), PeerActor("peer.test", "y"), "g"))


@pytest.mark.parametrize("name", FORGERIES)
async def test_objects_that_are_not_the_senders_are_ignored(
    net: FederationNet, target: Target, followed: PeerActor, name: str
) -> None:
    kind, obj = forged_objects(target.bob, followed, target.group)[name]
    watch = await Watch.start(net, target.b)
    response = await post_signed(
        net, target.bob, "https://b.test/inbox", target.bob.activity(kind, obj)
    )
    await watch.assert_ignored(response)
    assert not any("evil.test" in url for url in watch.fetched())
