"""Reading posts as peers send them (server.services.post_shape): votes and titled posts,
contentMap, url, attachments and content warnings."""

from __future__ import annotations

from typing import Any

import pytest

from server.services.post_shape import NotAPost, is_poll_vote, read_post

ID = "https://peer.example/notes/1"


def _read(**fields: Any) -> Any:
    return read_post({"type": "Note", "id": ID, "content": "<p>hi</p>", **fields}, ["fr", "en"])


def test_only_mastodons_content_less_note_is_a_vote() -> None:
    vote = {"type": "Note", "name": "Going", "inReplyTo": "https://h.example/events/1/poll"}
    assert is_poll_vote(vote)
    assert not is_poll_vote({**vote, "content": "<p>Going, see you</p>"})
    assert not is_poll_vote({**vote, "type": "Article"})
    assert not is_poll_vote({key: value for key, value in vote.items() if key != "inReplyTo"})


@pytest.mark.parametrize(
    ("mapping", "shown"),
    [
        ({"de": "Hallo", "fr": "Salut", "en": "Hello"}, "Salut"),
        ({"de": "Hallo", "en-GB": "Hello"}, "Hello"),
        ({"de": "Hallo"}, "Hallo"),
        ({"de": ["not", "text"], "es": "Hola"}, "Hola"),
    ],
)
def test_content_map_in_the_instance_languages(mapping: dict[str, Any], shown: str) -> None:
    post = read_post({"type": "Page", "id": ID, "contentMap": mapping}, ["fr", "en"])
    assert post.content_html == shown


@pytest.mark.parametrize("content", [["<p>a</p>"], {"en": "x"}, 42, True])
def test_content_that_is_not_text_is_refused(content: Any) -> None:
    with pytest.raises(NotAPost, match="its content is a"):
        _read(content=content)


def test_an_empty_post_is_refused_but_a_titled_or_illustrated_one_is_not() -> None:
    with pytest.raises(NotAPost, match="no content, title or attachment"):
        _read(content="  ")
    assert _read(content="", name="Just a title").title == "Just a title"
    image = {"type": "Image", "url": "https://peer.example/a.png"}
    assert [a.kind for a in _read(content="", attachment=image).attachments] == ["image"]


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("javascript:alert(1)", ID),
        (["data:text/html,x", "https://peer.example/@a/1"], "https://peer.example/@a/1"),
        (
            [
                {"type": "Link", "mediaType": "video/mp4", "href": "https://v.example/1.mp4"},
                {"type": "Link", "mediaType": "text/html", "href": "https://peer.example/w/1"},
            ],
            "https://peer.example/w/1",
        ),
        ({"href": "https://notype.example/"}, "https://notype.example/"),
        ({"type": "Link", "href": "ftp://peer.example/1"}, ID),
    ],
)
def test_url_is_http_only_else_the_id(url: Any, kept: str) -> None:
    assert _read(url=url).url == kept


@pytest.mark.parametrize(
    ("attachment", "kind", "alt"),
    [
        ({"type": "Document", "mediaType": "image/png", "url": "https://p.example/a"}, "image", ""),
        ({"type": "Document", "url": "https://p.example/101.png"}, "image", ""),
        (
            {"type": "Document", "name": "notes", "url": "https://p.example/s.txt"},
            "document",
            "notes",
        ),
        (
            {"type": "Document", "mediaType": "audio/mpeg", "url": "https://p.example/m"},
            "audio",
            "",
        ),
        ({"type": "Video", "name": "a cow", "url": "https://p.example/c.mp4"}, "video", "a cow"),
        (
            {"type": "Image", "url": {"type": "Link", "href": "https://p.example/6.png"}},
            "image",
            "",
        ),
        ({"url": "https://p.example/5.png"}, "image", ""),
        ({"type": "Link", "name": "Donate", "href": "https://p.example/give"}, "link", "Donate"),
        (
            {"type": "Document", "name": "<b>bold</b> alt", "href": "https://p.example/d"},
            "document",
            "bold alt",
        ),
    ],
)
def test_attachments_with_their_alt_text(attachment: Any, kind: str, alt: str) -> None:
    [found] = _read(attachment=attachment).attachments
    assert (found.kind, found.alt) == (kind, alt)


@pytest.mark.parametrize(
    "attachment",
    [
        {"type": "Image", "url": "data:image/jpeg;base64,AAAA"},
        {"type": "Link", "name": "Donate", "href": "payto://iban/DE75512108001245126199"},
        {"type": "Note", "content": "attached note", "url": "https://p.example/n"},
        "https://p.example/bare-string.png",
    ],
)
def test_attachments_that_cannot_be_shown_are_dropped(attachment: Any) -> None:
    assert _read(attachment=attachment).attachments == []


def test_warnings_collapse_and_mark_the_media() -> None:
    image = {"type": "Image", "url": "https://p.example/a.png"}
    warned = _read(summary="<p>Spoilers</p>", attachment=image)
    assert (warned.summary, warned.sensitive, warned.attachments[0].sensitive) == (
        "Spoilers",
        True,
        True,
    )
    assert _read(sensitive=True).sensitive and _read(sensitive=True).summary == ""
    only_media = _read(attachment={**image, "sensitive": True})
    assert (only_media.sensitive, only_media.attachments[0].sensitive) == (False, True)
    assert _read(summary="<script>x</script>").sensitive
