"""Replies to a meetup are its discussion (issue #14, section 4): the ``Event`` says
``commentsEnabled: true``, so a Mastodon reply to the Event or to its RSVP poll is shown on
the meetup's page, relayed to the group's followers like any group conversation, and
moderators can hide it. A meetup with comments off shows none."""

from __future__ import annotations

from typing import Any

from server.models import RelayedPost
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.relay_scenes import PUBLIC, announces, club_with_followers, group_sent
from tests.flows.relay_scenes import post_to_inbox as deliver
from tests.flows.scenes import rows


async def _meetup(b: Instance, **changes: str) -> str:
    response = await b.web.post_form(
        "/groups/club/events/new", {**FORM, **changes}, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    return f"https://b.test{response.headers['location']}"


def _reply(actor: PeerActor, number: int, in_reply_to: str, text: str) -> dict[str, Any]:
    """A Mastodon reply (mastodon app/serializers/activitypub/note_serializer.rb) whose
    author removed the automatic mention: public, to the author's followers, inReplyTo."""
    note = {
        "id": f"{actor.uri}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor.uri,
        "inReplyTo": in_reply_to,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
        "cc": [f"{actor.uri}/followers"],
        "published": "2026-12-01T10:00:00Z",
        "sensitive": False,
    }
    return actor.activity("Create", note, to=note["to"], cc=note["cc"])


async def test_replies_to_a_meetup_and_its_poll_are_its_discussion(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    event = await _meetup(b)
    await net.drain()
    sent_before = len(announces(await group_sent(b)))
    await deliver(net, peer, _reply(mo, 1, event, "Is there parking nearby?"))
    await deliver(net, peer, _reply(mo, 2, f"{event}/poll", "I'll bring a soldering iron"))
    page = (await b.web.get(event.removeprefix("https://b.test"))).text
    discussion = page[page.index('id="discussion"') :]
    assert "Is there parking nearby?" in discussion
    assert "bring a soldering iron" in discussion
    assert len(announces(await group_sent(b))) == sent_before + 4  # each: relay and boost

    first, _ = await rows(b, RelayedPost)
    response = await b.web.post_form(
        f"/groups/club/relayed/{first.id}",
        {"action": "hide", "next": f"/events/{event.rsplit('/', 1)[1]}#discussion"},
        csrf_from=event.removeprefix("https://b.test"),
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("#discussion")
    page = (await b.web.get(event.removeprefix("https://b.test"))).text
    assert "Is there parking nearby?" not in page and "soldering iron" in page


async def test_a_meetup_with_comments_off_shows_no_replies(net: FederationNet, peer: Peer) -> None:
    _, b, mo = await club_with_followers(net, peer)
    event = await _meetup(b, comments_enabled="")
    await deliver(net, peer, _reply(mo, 1, event, "Can I come late?"))
    assert await rows(b, RelayedPost) == []
    page = (await b.web.get(event.removeprefix("https://b.test"))).text
    assert "Can I come late?" not in page and 'id="discussion"' not in page
