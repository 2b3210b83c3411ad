"""Deep and wide JSON: nesting past the parser's depth, numbers past Python's digit limit and
lone surrogates are a 400 (never a 500); deep-but-parseable activities and huge arrays (tags,
poll options, recipients, attachments) are processed with a recorded result, store bounded
rows, send nothing to the recipients they list, and the worker goes on working."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.models import Follow, InboxActivity, RemoteEvent, RemotePost
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import rows
from tests.security.conftest import Target
from tests.security.harness import Watch, post_signed
from tests.security.scenes import local_follows, note

WIDE = 15_000  # items: the whole body stays under the 1 MB inbox cap


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"type": "Note", "object": value}
    return value


UNPARSABLE = {
    "100k nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "100k nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "5000-digit integer": b'{"type":"Follow","actor":"A","id":"A","object":' + b"9" * 5000 + b"}",
    "lone surrogate in the type": b'{"type":"Follow\\ud800","actor":"A","id":"A","object":"x"}',
    "lone surrogate in a name": b'{"type":"Follow","actor":"A","id":"A","object":"\\udfff"}',
    "lone surrogate as bytes": b'{"type":"Follow","actor":"A","id":"A","object":"\xed\xa0\x80"}',
    "invalid utf-8": b'{"type":"Follow","actor":"A","id":"A","object":"\xff\xfe"}',
}


@pytest.mark.parametrize("case", list(UNPARSABLE))
async def test_what_cannot_be_parsed_or_stored_is_a_400(
    net: FederationNet, target: Target, case: str
) -> None:
    bob = target.bob
    raw = UNPARSABLE[case].replace(b'"A"', json.dumps(f"{bob.uri}/a/1").encode(), 1)
    raw = raw.replace(b'"A"', json.dumps(bob.uri).encode(), 1)
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, bob, target.inbox, raw)
    await watch.assert_untouched(response, 400)


def _wide(target: Target, peer: Peer) -> dict[str, Any]:
    bob = target.bob
    many = [f"https://peer.test/users/u{i}" for i in range(WIDE)]
    return {
        "recipients": note(bob, 1, to=many, cc=many[:5000]),
        "tags": note(bob, 2, tag=[{"type": "Hashtag", "name": f"#t{i}"} for i in range(WIDE)]),
        "attachments": note(
            bob, 3, attachment=[{"type": "Document", "url": f"https://x/{i}"} for i in range(WIDE)]
        ),
        "poll options": {
            **note(bob, 4),
            "type": "Question",
            "oneOf": [{"type": "Note", "name": str(i)} for i in range(WIDE)],
        },
        "event tags and links": {
            **note(bob, 5),
            "type": "Event",
            "name": "Wide",
            "startTime": "2030-05-03T14:00:00Z",
            "tag": [{"type": "Hashtag", "name": f"#t{i}"} for i in range(WIDE // 2)],
            "attachment": [{"type": "Link", "href": f"https://x/{i}"} for i in range(WIDE // 2)],
        },
        "deep object": {**note(bob, 6), "context": _deep(400), "inReplyTo": _deep(400)},
        "numbers": {
            **note(bob, 7),
            "type": "Event",
            "name": "Odd numbers",
            "startTime": "2030-05-03T14:00:00Z",
            "location": {"type": "Place", "name": "x", "latitude": 1e308, "longitude": -1e308},
            "maximumAttendeeCapacity": 10**300,
        },
    }


CASES = [
    "recipients",
    "tags",
    "attachments",
    "poll options",
    "deep object",
    "event tags and links",
    "numbers",
]


@pytest.mark.parametrize("case", CASES)
async def test_wide_and_deep_activities_are_processed_and_bounded(
    net: FederationNet, peer: Peer, target: Target, case: str
) -> None:
    await local_follows(target.b, target.bob)
    obj = _wide(target, peer)[case]
    body = json.dumps(target.bob.activity("Create", obj)).encode()
    assert len(body) < target.b.settings.federation.max_inbox_bytes
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, target.bob, "https://b.test/inbox", body)
    assert response.status_code == 202, response.text
    await net.drain()
    assert watch.sent() == [] and watch.fetched() == []
    [row] = await rows(target.b, InboxActivity)
    assert row.processed_at is not None and row.result, row.result
    assert not row.result.startswith("error"), row.result
    stored = len(await rows(target.b, RemotePost)) + len(await rows(target.b, RemoteEvent))
    assert stored <= 1

    # the worker still answers a genuine follow
    carol = peer.add_actor("carol")
    genuine = await peer.post(net.http, target.inbox, carol.activity("Follow", target.group))
    assert genuine.status_code == 202
    await net.drain()
    assert [f.follower_uri for f in await rows(target.b, Follow) if f.state == "accepted"][
        -1
    ] == carol.uri
