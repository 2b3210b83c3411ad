"""Mentions and hashtags in group posts, as Mastodon reads and shows them.

The peer's reading of the ``tag`` array is re-implemented from mastodon
``app/lib/activitypub/activity/create.rb`` (``process_tags``: ``as_array(tag)``; a
``Hashtag`` by its ``name`` without ``#``, downcased; a ``Mention`` by its ``href``, the
account's ActivityPub id, nothing else). The HTML expected is ``app/lib/text_formatter.rb``'s
(``link_to_mention``, ``link_to_hashtag``) and the tag shapes ``note_serializer.rb``'s."""

from __future__ import annotations

import re
from typing import Any

from server.models import GroupPost
from tests.decisions.conftest import Club
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, PeerActor
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows

CLUB = "https://b.test/groups/club"


def mastodon_tags(note: dict[str, Any], accounts: dict[str, PeerActor]) -> tuple[list, list]:
    """``process_tags``: (mentioned accounts found by href, hashtag names)."""
    tags = note.get("tag")
    items = tags if isinstance(tags, list) else [tags] if tags else []
    mentions, hashtags = [], []
    for tag in items:
        kinds = tag.get("type") if isinstance(tag.get("type"), list) else [tag.get("type")]
        if "Hashtag" in kinds and tag.get("name"):
            hashtags.append(re.sub(r"\A#", "", tag["name"]).lower())
        elif "Mention" in kinds and tag.get("href"):
            account = next((a for a in accounts.values() if a.uri == tag["href"]), None)
            if account is not None:  # account_from_uri, else FetchRemoteAccountService
                mentions.append(account)
    return mentions, hashtags


async def _scene(net: FederationNet, peer: Peer) -> tuple[Instance, PeerActor]:
    b = await net.add("b")
    await organize_group(b, "club")
    mo = peer.add_actor("mo")  # follows the club
    ana = peer.add_actor("ana", shared_inbox=False)  # mentioned only
    await follow_from_peer(net, peer, mo, b, "club")
    peer.received.clear()
    return b, ana


async def test_a_mastodon_user_mentioned_in_a_group_post_is_notified_and_the_tag_links(
    net: FederationNet, peer: Peer
) -> None:
    b, ana = await _scene(net, peer)
    text = "Hello @ana@peer.test and @organizer! Bring food #Picnic, not @ghost@peer.test #2024"
    await post_as_group(b, "club", text)
    await net.drain()

    to_ana = [r.json() for r in peer.posts("/users/ana/inbox")]
    assert [activity["type"] for activity in to_ana] == ["Create"]  # delivered to her inbox
    note = to_ana[0]["object"]
    assert ana.uri in note["cc"] and ana.uri in to_ana[0]["cc"]
    mentions, hashtags = mastodon_tags(note, peer.actors)
    assert mentions == [ana]
    assert hashtags == ["picnic"]
    assert {"type": "Mention", "href": ana.uri, "name": "@ana@peer.test"} in note["tag"]
    assert {
        "type": "Mention",
        "href": "https://b.test/users/organizer",
        "name": "@organizer@b.test",
    } in note["tag"]
    assert {"type": "Hashtag", "href": "https://b.test/tags/picnic", "name": "#Picnic"} in note[
        "tag"
    ]
    content = note["content"]
    mention = f'<a href="{ana.uri}" class="u-url mention">@<span>ana</span></a>'
    assert f'<span class="h-card">{mention}</span>' in content
    hashtag = '<a href="https://b.test/tags/picnic" class="mention hashtag" rel="tag">'
    assert f"{hashtag}#<span>Picnic</span></a>" in content
    assert "not @ghost@peer.test #2024" in content  # unknown account, not a hashtag: text

    # Followers on the shared inbox get the same Note; the Note at its id says the same.
    [to_followers] = [r.json() for r in peer.posts("/inbox")]
    assert to_followers["object"]["tag"] == note["tag"]
    fetched = await net.http.get(note["id"], headers={"Accept": AS_TYPE})
    assert fetched.json()["tag"] == note["tag"] and fetched.json()["cc"] == note["cc"]

    tag_page = await b.web.get("/tags/picnic")
    assert tag_page.status_code == 200 and "Bring food" in tag_page.text
    assert (await b.web.get("/tags/nothing-here")).status_code == 200
    assert (await b.web.get("/tags/bad%20tag")).status_code == 404


async def test_editing_a_post_keeps_its_mentions_and_members_only_posts_do_not_leak(
    net: FederationNet, peer: Peer
) -> None:
    b, ana = await _scene(net, peer)
    await post_as_group(b, "club", "Thanks @ana@peer.test", visibility="members")
    await net.drain()
    assert peer.posts("/users/ana/inbox") == []  # not a member: a members-only post stays
    await post_as_group(b, "club", "Thanks @ana@peer.test")
    await net.drain()
    [post] = [p for p in await rows(b, GroupPost) if p.visibility == "public"]
    edited = await b.web.post_form(
        f"/groups/club/posts/{post.id}/edit",
        {"content": "Thanks again @ana@peer.test #Garden"},
        csrf_from=f"/groups/club/posts/{post.id}",
    )
    assert edited.status_code == 303, edited.text
    await net.drain()
    kinds = [r.json()["type"] for r in peer.posts("/users/ana/inbox")]
    assert kinds == ["Create", "Update"]
    update = peer.posts("/users/ana/inbox")[1].json()
    mentions, hashtags = mastodon_tags(update["object"], peer.actors)
    assert (mentions, hashtags) == ([ana], ["garden"])


async def test_meetup_descriptions_mention_and_tag_as_mastodon_reads_them(
    net: FederationNet, peer: Peer
) -> None:
    b, ana = await _scene(net, peer)
    data = {**FORM, "description": "Bring tools, @ana@peer.test! #RepairCafe"}
    made = await b.web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert made.status_code == 303, made.text
    await net.drain()
    creates = [r.json() for r in peer.posts("/users/ana/inbox") if r.json()["type"] == "Create"]
    event = next(a["object"] for a in creates if a["object"]["type"] == "Event")
    assert ana.uri in event["cc"]
    mentions, hashtags = mastodon_tags(event, peer.actors)
    assert mentions == [ana]
    assert hashtags == ["repair", "diy", "repaircafe"]  # the meetup's tags, then the text's
    assert {"type": "Hashtag", "name": "#RepairCafe", "href": "https://b.test/tags/repaircafe"} in (
        event["tag"]
    )
    assert 'class="u-url mention">@<span>ana</span></a>' in event["content"]
    page = await b.web.get(made.headers["location"])
    assert 'class="mention hashtag" rel="tag">#<span>RepairCafe</span></a>' in page.text


async def test_a_public_proposal_mentions_as_mastodon_reads_it(
    net: FederationNet, peer: Peer
) -> None:
    b, ana = await _scene(net, peer)
    body = "As @ana@peer.test suggested #Schedule"
    await Club(b.web).open_proposal(title="Thursdays?", body=body, visibility="public")
    await net.drain()
    [create] = [r.json() for r in peer.posts("/users/ana/inbox")]
    question = create["object"]
    assert question["type"] == "Question" and ana.uri in question["cc"]
    assert mastodon_tags(question, peer.actors) == ([ana], ["schedule"])
    assert 'rel="tag">#<span>Schedule</span></a>' in question["content"]
