"""Fuzzing the inbox: hypothesis builds ActivityStreams-ish activities — random and real
types, nested objects, odd ids, lists where scalars go and scalars where lists go, long and
deep values — which bob (a known peer account) signs and POSTs to b's inboxes. The inbox
never answers 5xx; every stored activity is processed to a recorded result that is never an
unexpected ``error``; and afterwards the worker still answers a genuine Follow.

Budget: ``EXAMPLES`` activities (about 20–40 s on SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.models import InboxActivity
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import rows
from tests.security.conftest import Target
from tests.security.harness import post_signed
from tests.security.scenes import local_follows

EXAMPLES = 150
BOB = "https://peer.test/users/bob"
GROUP = "https://b.test/groups/club"
TYPES = [
    "Follow", "Undo", "Accept", "Reject", "TentativeAccept", "Create", "Update", "Delete",
    "Announce", "Like", "Join", "Leave", "Add", "Remove", "Flag", "Block", "Move", "Invite",
    "Question", "Note", "Event", "Article", "Tombstone", "Person", "Group", "Member", "Place",
]  # fmt: skip
KEYS = [
    "id", "type", "actor", "object", "target", "origin", "attributedTo", "audience", "to", "cc",
    "bto", "tag", "attachment", "content", "summary", "name", "url", "href", "inReplyTo",
    "published", "updated", "startTime", "endTime", "location", "oneOf", "anyOf", "replies",
    "joinMode", "timezone", "latitude", "longitude", "mediaType", "first", "next", "items",
]  # fmt: skip

uris = st.one_of(
    st.builds(lambda p: f"{BOB}/{p}", st.text("abc/#?%.", max_size=12)),
    st.sampled_from(
        [
            BOB,
            GROUP,
            f"{GROUP}/posts/1",
            f"{GROUP}/followers",
            "https://b.test/users/organizer",
            "https://b.test/actor",
            "https://evil.test/x",
            "https://www.w3.org/ns/activitystreams#Public",
            "as:Public",
            "javascript:alert(1)",
            "http://127.0.0.1/",
            "",
        ]
    ),
    st.text(max_size=30),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=60),
    uris,
    st.sampled_from(TYPES),
    st.sampled_from(["2030-05-03T14:00:00Z", "2030-13-45T99:99:99", "1970-01-01", "P1D"]),
    st.builds(lambda n: "<p>" * n + "x", st.integers(0, 300)),
)


def _node(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    typed = st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES), "id": uris},
        optional={key: children for key in KEYS[2:]},
    )
    return st.one_of(
        typed,
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    )


values = st.recursive(scalars, _node, max_leaves=40)


@pytest.fixture
async def followed(target: Target) -> None:
    """lucy on b follows bob, so his posts and events are not simply ignored."""
    await local_follows(target.b, target.bob)


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    """An activity by bob (usually), with an id on bob's server, of any shape otherwise."""
    activity: dict[str, Any] = {
        "id": f"{BOB}/activities/{draw(st.uuids())}",
        "type": draw(st.sampled_from(TYPES) | st.text(max_size=10).filter(bool)),
        "actor": draw(st.sampled_from([BOB, BOB, BOB, {"id": BOB, "type": "Person"}, [BOB]])),
        "object": draw(values),
    }
    for key in draw(st.lists(st.sampled_from(KEYS[4:]), max_size=6, unique=True)):
        activity[key] = draw(values)
    if draw(st.booleans()):
        activity["object"] = draw(_node(values))
    return activity


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(activity=activities(), personal=st.booleans())
async def test_no_activity_breaks_the_inbox_or_the_worker(
    net: FederationNet,
    peer: Peer,
    target: Target,
    followed: None,
    activity: dict[str, Any],
    personal: bool,
) -> None:
    inbox = target.inbox if personal else "https://b.test/inbox"
    response = await post_signed(net, target.bob, inbox, json.dumps(activity).encode())
    assert response.status_code in (202, 400, 401, 403, 413), (response.status_code, response.text)
    if personal:  # and the worker still answers a genuine Follow
        carol = peer.actors.get("carol") or peer.add_actor("carol")
        follow = carol.activity("Follow", target.group)
        assert (await peer.post(net.http, target.inbox, follow)).status_code == 202
    await net.drain()
    for row in await rows(target.b, InboxActivity):
        assert row.processed_at is not None, row.result
        assert row.result and not row.result.startswith("error"), (row.result, row.body[:500])
    if personal:
        assert peer.posts("/users/carol/inbox")[-1].json()["object"]["id"] == follow["id"]
