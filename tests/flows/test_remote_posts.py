"""What is kept of a remote post: sanitized HTML, and only http(s) links."""

from __future__ import annotations

from typing import Any

import pytest

from server.activitypub.runtime import runtime_of
from server.services.post_shape import NotAPost


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://peer.test/@bob/1", "https://peer.test/@bob/1"),
        ("javascript:alert(1)", ""),
        ("httpx:alert(1)", ""),
        (
            [{"type": "Link", "id": "data:text/html,hi"}, "https://peer.test/p/1"],
            "https://peer.test/p/1",
        ),
    ],
)
def test_only_http_links_and_sanitized_content_are_kept(app: Any, url: Any, kept: str) -> None:
    note = {
        "id": "https://peer.test/notes/1",
        "type": "Note",
        "url": url,
        "content": '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">a</a></p>',
    }
    post = runtime_of(app).worker.processor._post_from(note, "https://peer.test/users/bob")
    assert post.url == kept
    assert "script" not in post.content_html and "onclick" not in post.content_html
    assert "javascript" not in post.content_html


def test_content_in_the_instance_language_and_a_title(app: Any) -> None:
    note = {
        "id": "https://peer.test/p/2",
        "type": "Article",
        "name": "Spring <b>fair</b>",
        "contentMap": {"de": "<p>Frühlingsfest</p>", "en": "<p>Spring fair</p>"},
    }
    post = runtime_of(app).worker.processor._post_from(note, "https://peer.test/users/bob")
    assert post.content_html == "<p><strong>Spring fair</strong></p><p>Spring fair</p>"


def test_content_that_is_not_text_is_refused(app: Any) -> None:
    note = {"id": "https://peer.test/p/3", "type": "Note", "content": ["<p>a</p>", "<p>b</p>"]}
    with pytest.raises(NotAPost, match="its content is a list, not text"):
        runtime_of(app).worker.processor._post_from(note, "https://peer.test/users/bob")
