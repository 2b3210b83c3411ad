"""A Mastodon status mentioning a group, exactly as Mastodon serializes it, relayed by the
group as its posting policy says (issue #14, "Done when"; the policies of issue #14, 5)."""

from __future__ import annotations

import html
from typing import Any

import pytest

from server.models import InboxActivity, RelayedPost
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.relay_scenes import CLUB, set_posting_policy
from tests.flows.scenes import follow_from_peer, organize_group, rows
from tests.flows.test_rsvp_by_reply import mastodon_reply


def mastodon_mention(actor: PeerActor, number: int, text: str) -> dict[str, Any]:
    """``Create{Note}`` of a public status ``@club@b.test <text> #picnic``, as Mastodon
    sends it: the Note of app/serializers/activitypub/note_serializer.rb (built by
    :func:`mastodon_reply`, not a reply here), plus the ``Hashtag`` tag (``TagSerializer``:
    ``#name``, the tag page) and its link from app/lib/text_formatter.rb
    (``mention hashtag``)."""
    create = mastodon_reply(actor, None, text, number, direct=False)
    note = create["object"]
    tag_page = f"https://{actor.host}/tags/picnic"
    hashtag = f'<a href="{tag_page}" class="mention hashtag" rel="tag">#<span>picnic</span></a>'
    note["content"] = note["content"].removesuffix("</p>") + f" {hashtag}</p>"
    note["contentMap"] = {"en": note["content"]}
    note["tag"].append({"type": "Hashtag", "href": tag_page, "name": "#picnic"})
    return create


async def _club(net: FederationNet, peer: Peer, policy: str) -> tuple[Instance, dict[str, str]]:
    """B's club with ``policy``; on the peer mia is a member, bob a follower, eve neither."""
    b = await net.add("b")
    await organize_group(b, "club")
    await set_posting_policy(b, "club", policy)
    mia, bob = peer.add_actor("mia"), peer.add_actor("bob")
    peer.add_actor("eve")
    joined = await peer.post(net.http, f"{CLUB}/inbox", mia.activity("Join", CLUB))
    assert joined.status_code == 202, joined.text
    await net.drain()
    for follower in (mia, bob):
        await follow_from_peer(net, peer, follower, b, "club")
    peer.received.clear()
    return b, {"member": "mia", "follower": "bob", "stranger": "eve"}


FOLLOWERS_ONLY = "the group shares its followers' posts only, and the author is not one"
MEMBERS_ONLY = "the group shares its members' posts only, and the author is not one"
CASES = [
    ("followers", "member", "relayed"),
    ("followers", "follower", "relayed"),
    ("followers", "stranger", FOLLOWERS_ONLY),
    ("members", "member", "relayed"),
    ("members", "follower", MEMBERS_ONLY),
    ("moderated", "member", "held"),
    ("moderated", "follower", "held"),
]


@pytest.mark.parametrize(("policy", "who", "expected"), CASES)
async def test_a_mastodon_mention_of_the_group_is_shared_as_the_posting_policy_says(
    net: FederationNet, peer: Peer, policy: str, who: str, expected: str
) -> None:
    b, names = await _club(net, peer, policy)
    author = peer.actors[names[who]]
    create = mastodon_mention(author, 7, "Picnic on Sunday?")
    response = await peer.post(net.http, "https://b.test/inbox", create)
    assert response.status_code == 202, response.text
    await net.drain()

    [handled] = await rows(b, InboxActivity, InboxActivity.activity_uri == create["id"])
    boosts = [r.json() for r in peer.posts() if r.json()["type"] == "Announce"]
    page = html.unescape((await b.web.get("/groups/club")).text)
    if expected not in ("relayed", "held"):
        assert handled.result == f"not relayed by club: {expected}"
        assert await rows(b, RelayedPost) == [] and boosts == []
        assert "Picnic on Sunday?" not in page
        return
    assert handled.result == f"{expected} by club"
    [post] = await rows(b, RelayedPost)
    assert (post.actor_uri, post.object_uri, post.state) == (
        author.uri,
        create["object"]["id"],
        expected,
    )
    if expected == "held":  # waits for a moderator; nobody sees it yet
        assert boosts == [] and "Picnic on Sunday?" not in page
        return
    # Mastodon followers see the group boost the status itself.
    assert create["object"]["id"] in [boost["object"] for boost in boosts]
    assert "Picnic on Sunday?" in page
    assert 'class="u-url mention"' in page and 'class="mention hashtag"' in page
