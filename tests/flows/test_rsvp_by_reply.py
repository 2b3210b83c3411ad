"""Changing an RSVP from a stock Mastodon (issue #14, 2). Mastodon refuses a second vote in a
single-choice poll (``app/validators/vote_validator.rb``), so the confirmation says "reply
going, maybe or can't go", and such a reply — to that message, to the meetup or to its poll,
in English, French, German or Spanish — changes the answer through the usual RSVP rules and
is confirmed. The poll's ``updated`` moves forward with each edit, ``votersCount`` is the sum
of its options and ``endTime`` is the meetup's end."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.activitypub import event_poll
from server.activitypub.runtime import runtime_of
from server.models import InboxActivity, Participation
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.mastodon_peer import MastodonPeer
from tests.flows.peer import AS_CONTEXT, PUBLIC, PeerActor
from tests.flows.scenes import rows
from tests.flows.test_mastodon_secure import CLUB, follow_club, mastodon_vote

HINT = "To change your answer, reply “going”, “maybe” or “can't go”."
#: app/lib/text_formatter.rb: how Mastodon writes the mention of the group in a reply
MENTION = (
    '<span class="h-card" translate="no"><a href="https://b.test/groups/club" '
    'class="u-url mention">@<span>club</span></a></span>'
)


@pytest.fixture(autouse=True)
def counts_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_poll, "COUNTS_EVERY", timedelta(0))


def mastodon_reply(
    actor: PeerActor, in_reply_to: str | None, text: str, number: int, *, direct: bool
) -> dict[str, Any]:
    """A reply as Mastodon sends it: the Note of app/serializers/activitypub/note_serializer.rb
    (replies/likes/shares collections, atomUri, conversation, contentMap, the Mention tag)
    in the Create of activity_serializer.rb; a direct reply is addressed to the group only."""
    status = f"{actor.uri}/statuses/{number}"
    to, cc = ([CLUB], []) if direct else ([PUBLIC], [f"{actor.uri}/followers", CLUB])
    content = f"<p>{MENTION} {html.escape(text)}</p>"
    published = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    note = {
        "id": status,
        "type": "Note",
        "summary": None,
        "inReplyTo": in_reply_to,
        "published": published,
        "url": f"https://{actor.host}/@{actor.name}/{number}",
        "attributedTo": actor.uri,
        "to": to,
        "cc": cc,
        "sensitive": False,
        "atomUri": status,
        "inReplyToAtomUri": in_reply_to,
        "conversation": f"tag:{actor.host},2026-12-06:objectId={number}:objectType=Conversation",
        "content": content,
        "contentMap": {"en": content},
        "attachment": [],
        "tag": [{"type": "Mention", "href": CLUB, "name": "@club@b.test"}],
        "replies": {
            "id": f"{status}/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": f"{status}/replies?only_other_accounts=true&page=true",
                "partOf": f"{status}/replies",
                "items": [],
            },
        },
        "likes": {"id": f"{status}/likes", "type": "Collection", "totalItems": 0},
        "shares": {"id": f"{status}/shares", "type": "Collection", "totalItems": 0},
    }
    return {
        "@context": [AS_CONTEXT, {"ostatus": "http://ostatus.org#", "sensitive": "as:sensitive"}],
        "id": f"{status}/activity",
        "type": "Create",
        "actor": actor.uri,
        "published": published,
        "to": to,
        "cc": cc,
        "object": note,
    }


async def _meetup(b: Instance, **changes: Any) -> tuple[str, str]:
    """A new meetup of the club; returns the ids of its Event and poll."""
    data = {**FORM, **{key: str(value) for key, value in changes.items()}}
    response = await b.web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    event = f"https://b.test{response.headers['location']}"
    return event, f"{event}/poll"


async def _followed_meetup(
    net: FederationNet, mastodon: MastodonPeer, **changes: Any
) -> tuple[Instance, PeerActor, str, str]:
    """Bob on the secure Mastodon follows the club, which then announces a meetup."""
    b, bob = await follow_club(net, mastodon)
    event, poll = await _meetup(b, **changes)
    await net.drain()
    return b, bob, event, poll


async def _send(net: FederationNet, mastodon: MastodonPeer, activity: dict[str, Any]) -> None:
    response = await mastodon.post(net.http, f"{CLUB}/inbox", activity)
    assert response.status_code == 202, response.text
    await net.drain()


async def _status(b: Instance, bob: PeerActor) -> str | None:
    found = await rows(b, Participation, Participation.actor_uri == bob.uri)
    return found[0].status if found else None


def _messages(mastodon: MastodonPeer, bob: PeerActor) -> list[dict[str, Any]]:
    """The direct messages bob received, oldest first."""
    sent = [r.json() for r in mastodon.posts()]
    return [a["object"] for a in sent if a["type"] == "Create" and a["to"] == [bob.uri]]


def _text(message: dict[str, Any]) -> str:
    return html.unescape(message["content"])


async def test_a_secure_mastodon_user_votes_then_changes_the_answer_by_replying(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b, bob, event, poll = await _followed_meetup(net, mastodon)
    await _send(net, mastodon, mastodon_vote(bob, poll, "Going", 1))
    assert await _status(b, bob) == "going"
    [confirmation] = _messages(mastodon, bob)
    assert "You're going to “Repair café”" in _text(confirmation) and HINT in _text(confirmation)
    assert confirmation["id"].startswith(f"{event}/messages/")

    steps = [
        (confirmation["id"], "maybe", True, "maybe", "You might go to “Repair café”"),
        (event, "Can’t go!", False, "not_going", "Noted: you can't make it to “Repair café”"),
        (poll, "GOING", False, "going", "You're going to “Repair café”"),
    ]
    for number, (parent, text, direct, status, told) in enumerate(steps, start=10):
        await _send(net, mastodon, mastodon_reply(bob, parent, text, number, direct=direct))
        assert await _status(b, bob) == status
        latest = _messages(mastodon, bob)[-1]
        assert told in _text(latest) and HINT in _text(latest)
    assert len(_messages(mastodon, bob)) == 4
    assert mastodon.refused == []

    mastodon.received.clear()
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    [question] = [
        r.json()["object"]
        for r in mastodon.posts()
        if r.json()["type"] == "Update" and r.json()["object"]["type"] == "Question"
    ]
    totals = {o["name"]: o["replies"]["totalItems"] for o in question["oneOf"]}
    assert totals == {"Going": 1, "Maybe": 0, "Can't make it": 0}
    assert question["votersCount"] == 1


@pytest.mark.parametrize(
    "replies",
    [
        [("je viens", "going"), ("peut-être", "maybe"), ("je ne viens pas", "not_going")],
        [("Ich komme", "going"), ("vielleicht", "maybe"), ("ich komme nicht", "not_going")],
        [("voy", "going"), ("Quizás", "maybe"), ("no voy", "not_going")],
    ],
    ids=["fr", "de", "es"],
)
async def test_replies_in_french_german_and_spanish_change_the_answer(
    net: FederationNet, mastodon: MastodonPeer, replies: list[tuple[str, str]]
) -> None:
    b, bob, event, _ = await _followed_meetup(net, mastodon)
    for number, (text, status) in enumerate(replies, start=1):
        await _send(net, mastodon, mastodon_reply(bob, event, text, number, direct=False))
        assert await _status(b, bob) == status
    assert len(_messages(mastodon, bob)) == 3


async def test_conversation_under_a_meetup_is_not_an_answer(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b, bob, event, poll = await _followed_meetup(net, mastodon)
    for number, text in enumerate(["going, see you there!", "What time again?", "no"], 1):
        await _send(net, mastodon, mastodon_reply(bob, event, text, number, direct=False))
    forged = mastodon_reply(bob, poll, "going", 9, direct=False)
    forged["object"]["attributedTo"] = "https://mastodon.test/users/alice"
    await _send(net, mastodon, forged)
    assert await _status(b, bob) is None
    assert _messages(mastodon, bob) == []
    [handled] = await rows(b, InboxActivity, InboxActivity.activity_uri == forged["id"])
    assert handled.result == "ignored: an answer on someone else's behalf"


async def test_the_same_answer_again_is_confirmed_once_per_reply(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b, bob, event, _ = await _followed_meetup(net, mastodon)
    first = mastodon_reply(bob, event, "going", 1, direct=False)
    await _send(net, mastodon, first)
    await _send(net, mastodon, first)  # delivered twice: one answer, one message
    await _send(net, mastodon, mastodon_reply(bob, event, "Going.", 2, direct=False))
    assert await _status(b, bob) == "going"
    texts = [_text(m) for m in _messages(mastodon, bob)]
    assert len(texts) == 2 and all("You're going to “Repair café”" in t for t in texts)


async def test_replies_follow_the_rules_of_the_meetup(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b, bob = await follow_club(net, mastodon)
    alice = mastodon.add_actor("alice")
    await _send(net, mastodon, alice.activity("Follow", CLUB))
    full, _ = await _meetup(b, capacity=1)
    restricted, _ = await _meetup(b, join_mode="restricted")
    members_only, _ = await _meetup(b, join_mode="invite")
    await net.drain()

    await _send(net, mastodon, mastodon_reply(alice, full, "going", 1, direct=False))
    await _send(net, mastodon, mastodon_reply(bob, full, "going", 2, direct=False))
    await _send(net, mastodon, mastodon_reply(bob, restricted, "going", 3, direct=False))
    await _send(net, mastodon, mastodon_reply(bob, members_only, "going", 4, direct=False))
    statuses = {(p.event_id, p.actor_uri): p.status for p in await rows(b, Participation)}
    ids = [int(uri.rsplit("/", 1)[1]) for uri in (full, restricted)]
    assert statuses == {
        (ids[0], alice.uri): "going",
        (ids[0], bob.uri): "waitlisted",
        (ids[1], bob.uri): "pending",
    }
    told = [_text(m) for m in _messages(mastodon, bob)]
    assert "you are #1 on the waitlist" in told[0]
    assert "was sent to the organizers" in told[1]
    assert "was not recorded: Only members of the group can answer" in told[2]

    await _send(net, mastodon, mastodon_reply(alice, full, "no voy", 5, direct=False))
    assert await _status(b, bob) == "going"  # alice's seat went to bob
    assert "A seat freed up" in _text(_messages(mastodon, bob)[-1])


def _question(mastodon: MastodonPeer, kind: str) -> dict[str, Any]:
    [question] = [
        r.json()["object"]
        for r in mastodon.posts()
        if r.json()["type"] == kind and r.json()["object"]["type"] == "Question"
    ]
    return question


async def test_the_poll_moves_its_updated_forward_with_every_edit_and_ends_with_the_meetup(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b, bob, event, poll = await _followed_meetup(net, mastodon, capacity=5)
    created = _question(mastodon, "Create")
    [event_object] = [
        r.json()["object"] for r in mastodon.posts() if r.json()["object"].get("type") == "Event"
    ]
    ends = datetime.fromisoformat(created["endTime"])
    assert ends == datetime.fromisoformat(event_object["endTime"])  # the meetup's end
    assert ends == datetime(2030, 5, 4, 15, 0, tzinfo=UTC)  # 17:00 in Paris
    assert "updated" not in created
    assert "When all 5 seats are taken" in created["content"] and "reply" in created["content"]

    path = event.removeprefix("https://b.test")
    seen = [datetime.fromisoformat(created["published"])]
    for title in ("Repair café (moved)", "Repair café (moved again)"):
        mastodon.received.clear()
        edited = {**FORM, "title": title, "capacity": "5"}
        response = await b.web.post_form(f"{path}/edit", edited, csrf_from=f"{path}/edit")
        assert response.status_code == 303, response.text
        await net.drain()
        question = _question(mastodon, "Update")
        assert html.escape(title) in question["content"]
        seen.append(datetime.fromisoformat(question["updated"]))
    assert seen[0] < seen[1] < seen[2]  # each edit is newer, even within one second

    mastodon.received.clear()
    await _send(net, mastodon, mastodon_vote(bob, poll, "Maybe", 1))
    await runtime_of(b.app).worker.run_periodic(force=True)
    await net.drain()
    counts = _question(mastodon, "Update")
    assert counts["updated"] == question["updated"]  # counts only: Mastodon keeps the text
    assert counts["votersCount"] == sum(o["replies"]["totalItems"] for o in counts["oneOf"]) == 1
