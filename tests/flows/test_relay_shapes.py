"""Relayed posts as peers really send them (issue #14, section 4): Mastodon's reply with a
content warning and an image, Lemmy's titled ``Page`` to a community, Mobilizon's
``Article``; ``contentMap``; unsafe ``url``s and classes; content that is not text; Mastodon's
poll-vote shape; very long posts; and the reason in the log when a post is not relayed."""

from __future__ import annotations

import logging
import re

import pytest

from server.models import InboxActivity, RelayedPost
from tests.federation_net import FederationNet
from tests.flows.peer import Peer, PeerActor
from tests.flows.relay_scenes import (
    CLUB,
    PUBLIC,
    announces,
    another_follower,
    club_with_followers,
    group_sent,
    mention_note,
    post_to_inbox,
)
from tests.flows.scenes import rows
from tests.security.test_html_injection import payload
from tests.server.html_safety import tags_of, unsafe_markup

#: A PNG's first bytes: what the media cache checks before keeping a file as an image.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _between(page: str, start: str, end: str) -> str:
    """The part of ``page`` from the first ``start`` to the next ``end``."""
    head = page.index(start)
    return page[head : page.index(end, head)]


async def test_a_mastodon_reply_with_a_warning_and_an_image_is_shown_collapsed_from_our_cache(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    first = mention_note(mo, 1, "Photos from the garden day?")
    await post_to_inbox(net, peer, first)
    peer.files["garden.png"] = (PNG, "image/png")
    # mastodon app/serializers/activitypub/note_serializer.rb: summary is the spoiler text,
    # sensitive, and each MediaAttachmentSerializer is a Document with mediaType, url,
    # name (the description), blurhash; the preview card is a Link.
    reply = mention_note(
        mo,
        2,
        "here they are",
        inReplyTo=first["object"]["id"],
        summary="Spiders in the compost",
        sensitive=True,
        attachment=[
            {
                "type": "Document",
                "mediaType": "image/png",
                "url": "https://peer.test/files/garden.png",
                "name": "A wolf spider on a leaf",
                "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
                "width": 8,
                "height": 8,
            },
            {"type": "Link", "href": "https://news.example/garden-day"},
        ],
    )
    await post_to_inbox(net, peer, reply)
    page = (await b.web.get("/groups/club")).text
    warned = _between(page, '<details class="content-warning">', "</details>")
    assert "<summary>Spiders in the compost</summary>" in warned
    assert "here they are" in warned
    [src] = re.findall(r'<img src="([^"]+)" alt="A wolf spider on a leaf"', warned)
    assert src.startswith("/media/remote/") and src.endswith(".png")
    assert "<figcaption>A wolf spider on a leaf</figcaption>" in warned
    assert 'href="https://news.example/garden-day"' in warned
    assert not re.search(r'<img[^>]+src="https?://', page)  # no image from another server
    image = await b.web.get(src)
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert peer.file_fetches["garden.png"] == 1


async def test_an_image_that_is_not_an_image_is_a_link_to_the_original(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    peer.files["fake.png"] = (b"<script>alert(1)</script>", "image/png")
    image = {"type": "Image", "url": "https://peer.test/files/fake.png", "name": "a cat"}
    await post_to_inbox(net, peer, mention_note(mo, 1, "look", attachment=image))
    page = (await b.web.get("/groups/club")).text
    assert "/media/remote/" not in page
    assert 'href="https://peer.test/files/fake.png"' in page and "Image: a cat" in page


async def test_a_lemmy_page_to_a_community_is_a_titled_post(net: FederationNet, peer: Peer) -> None:
    _, b, _ = await club_with_followers(net, peer)
    picard = await another_follower(net, peer, b, "picard")
    # LemmyNet/lemmy crates/apub/src/objects/post.rs (into_json) and
    # crates/apub/assets/lemmy/objects/page.json: to = [community, public], name = title,
    # the post's link as a Link attachment, image, sensitive, language, audience.
    page_object = {
        "id": "https://peer.test/post/55143",
        "type": "Page",
        "attributedTo": picard.uri,
        "to": [CLUB, PUBLIC],
        "cc": [],
        "name": "Tool library opening hours",
        "content": "<p>Open <strong>every Saturday</strong> from May.</p>\n",
        "mediaType": "text/html",
        "source": {"content": "Open **every Saturday** from May.", "mediaType": "text/markdown"},
        "attachment": [{"type": "Link", "href": "https://tools.example/hours"}],
        "image": {"type": "Image", "url": "https://peer.test/pictrs/image/eOtYb9iEiB.png"},
        "sensitive": False,
        "language": {"identifier": "en", "name": "English"},
        "published": "2026-12-01T12:35:34.292626Z",
        "audience": CLUB,
    }
    create = picard.activity("Create", page_object, to=[CLUB, PUBLIC], cc=[], audience=CLUB)
    await post_to_inbox(net, peer, create)
    [post] = await rows(b, RelayedPost)
    assert post.state == "relayed" and post.title == "Tool library opening hours"
    assert len(announces(await group_sent(b))) == 2
    page = (await b.web.get("/groups/club")).text
    assert re.search(
        r'<h3 class="relayed-title"><a href="https://peer.test/post/55143"[^>]*>'
        r"Tool library opening hours</a></h3>",
        page,
    )
    assert "<strong>every Saturday</strong>" in page
    assert 'href="https://tools.example/hours"' in page
    assert "<details" not in _between(page, 'id="conversations"', "</section>")


async def test_a_mobilizon_article_keeps_its_title(net: FederationNet, peer: Peer) -> None:
    _, b, _ = await club_with_followers(net, peer)
    circle = await another_follower(net, peer, b, "circle")
    # framasoft/mobilizon lib/federation/activity_stream/converter/post.ex (model_to_as):
    # an Article with name (the title), content, attributedTo the group, actor the author.
    article = {
        "type": "Article",
        "actor": "https://peer.test/users/jane",
        "id": "https://peer.test/p/7f3a",
        "name": "Minutes of the spring meeting",
        "content": "<p>We agreed on <em>three</em> clean-ups.</p>",
        "attributedTo": circle.uri,
        "published": "2026-12-01T18:00:00Z",
        "to": [PUBLIC],
        "cc": [CLUB],
        "tag": [{"type": "Mention", "href": CLUB}],
    }
    await post_to_inbox(net, peer, circle.activity("Create", article, to=[PUBLIC], cc=[CLUB]))
    [post] = await rows(b, RelayedPost)
    assert (post.title, post.state) == ("Minutes of the spring meeting", "relayed")
    assert "<em>three</em> clean-ups" in (await b.web.get("/groups/club")).text


async def test_unsafe_links_and_classes_and_content_in_other_languages(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    sneaky = mention_note(
        mo,
        1,
        '<span class="flash flash-error">Your account is locked</span>',
        url=["javascript:alert(1)", {"type": "Link", "href": "data:text/html,x"}],
    )
    await post_to_inbox(net, peer, sneaky)
    note = mention_note(mo, 2, "")
    del note["object"]["content"]
    note["object"]["contentMap"] = {
        "de": "<p>Hallo @club</p>",
        "en": f'<p>Hello <span class="h-card"><a class="u-url mention" href="{CLUB}">'
        "@club</a></span></p>",
    }
    await post_to_inbox(net, peer, note)
    page = (await b.web.get("/groups/club")).text
    assert "javascript:" not in page and "data:text" not in page
    assert f'href="{sneaky["object"]["id"]}"' in page  # the link falls back to the id
    assert "Your account is locked" in page and "flash-error" not in page
    assert '<span class="h-card"><a class="u-url mention"' in page
    assert "Hello" in page and "Hallo" not in page


async def test_content_that_is_not_text_is_refused_with_a_reason(
    net: FederationNet, peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    bad = mention_note(mo, 1, "")
    bad["object"]["content"] = ["<p>one</p>", "<p>two</p>"]
    with caplog.at_level(logging.INFO):
        await post_to_inbox(net, peer, bad)
    assert await rows(b, RelayedPost) == []
    assert "['<p>one</p>'" not in (await b.web.get("/groups/club")).text
    [row] = [r for r in await rows(b, InboxActivity) if r.activity_uri == bad["id"]]
    assert row.result == "not relayed by club: its content is a list, not text"
    assert "not relayed by club: its content is a list, not text" in caplog.text


async def test_a_vote_is_not_a_post_but_a_titled_reply_is(net: FederationNet, peer: Peer) -> None:
    _, b, mo = await club_with_followers(net, peer)
    first = mention_note(mo, 1, "Which day?")
    await post_to_inbox(net, peer, first)
    # mastodon app/serializers/activitypub/vote_serializer.rb: a Note with name, inReplyTo,
    # attributedTo and to; no content.
    vote = {
        "id": f"{mo.uri}#votes/1",
        "type": "Note",
        "name": "Saturday",
        "attributedTo": mo.uri,
        "inReplyTo": first["object"]["id"],
        "to": [PUBLIC],
    }
    await post_to_inbox(net, peer, mo.activity("Create", vote, to=[PUBLIC]))
    titled = mention_note(mo, 3, "Saturday suits me", name="Re: Which day?")
    titled["object"]["inReplyTo"] = first["object"]["id"]
    await post_to_inbox(net, peer, titled)
    assert [p.object_uri for p in await rows(b, RelayedPost)] == [
        first["object"]["id"],
        titled["object"]["id"],
    ]
    [row] = [r for r in await rows(b, InboxActivity) if '"Saturday"' in r.body]
    assert row.result == "not relayed by club: a poll vote, not a post"


async def test_a_very_long_post_is_shortened_with_a_link_to_the_original(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    words = " ".join(f"word{n}" for n in range(1200))
    note = mention_note(mo, 1, words, url="https://peer.test/@mo/1")
    await post_to_inbox(net, peer, note)
    page = (await b.web.get("/groups/club")).text
    assert "word10 " in page and "word1100" not in page
    assert re.search(
        r'<a href="https://peer.test/@mo/1"[^>]*>Read the whole post on its server</a>', page
    )


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ("members", "the group shares its members' posts only, and the author is not one"),
        ("followers", "the group shares its followers' posts only, and the author is not one"),
    ],
)
async def test_the_log_says_why_a_post_was_not_relayed(
    net: FederationNet, peer: Peer, policy: str, reason: str
) -> None:
    _, b, _ = await club_with_followers(net, peer, policy=policy)
    stranger: PeerActor = peer.add_actor("stranger")
    create = mention_note(stranger if policy == "followers" else peer.actors["mo"], 1, "hi")
    await post_to_inbox(net, peer, create)
    [row] = [r for r in await rows(b, InboxActivity) if r.activity_uri == create["id"]]
    assert row.result == f"not relayed by club: {reason}"
    assert await rows(b, RelayedPost) == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>x</script>"])
async def test_markup_in_every_field_of_a_relayed_post_stays_text(
    net: FederationNet, peer: Peer, url: str
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    await b.web.logout()
    fields = {
        "name": payload("title"),
        "summary": payload("warning"),
        "url": [url, {"type": "Link", "href": url}],
        "attachment": [
            {"type": "Image", "url": url, "name": payload("alt")},
            {"type": "Document", "url": "https://peer.test/files/a.pdf", "name": payload("doc")},
            {"type": "Link", "href": url, "name": payload("link")},
        ],
    }
    note = mention_note(mo, 1, payload("content"), **fields)
    await post_to_inbox(net, peer, note)
    [post] = await rows(b, RelayedPost)
    assert post.state == "relayed"
    page = (await b.web.get("/groups/club")).text
    assert unsafe_markup(page) == []
    for tag, attributes in tags_of(page):
        assert "pwn" not in f"{tag} {attributes}", (tag, attributes)
    assert "title" in post.title and "warning" in post.summary
    assert 'href="https://peer.test/files/a.pdf"' in page and url not in page


async def test_an_edit_that_adds_a_sensitive_image_hides_only_the_image(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    first = mention_note(mo, 1, "Our new bench")
    await post_to_inbox(net, peer, first)
    peer.files["bench.png"] = (PNG, "image/png")
    image = {
        "type": "Document",
        "mediaType": "image/png",
        "url": "https://peer.test/files/bench.png",
        "name": "A bench with a rude carving",
        "sensitive": True,
    }
    edited = {**first["object"], "attachment": [image], "updated": "2026-12-01T11:00:00Z"}
    await post_to_inbox(net, peer, mo.activity("Update", edited, to=[PUBLIC]))
    page = (await b.web.get("/groups/club")).text
    hidden = _between(page, '<details class="content-warning">', "</details>")
    assert "<summary>Sensitive media</summary>" in hidden
    assert 'alt="A bench with a rude carving"' in hidden and 'src="/media/remote/' in hidden
    assert "Our new bench" in page and "Our new bench" not in hidden
