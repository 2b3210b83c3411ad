"""A group's relayed posts in a real browser on a phone (issue #14, section 4): a Lemmy-style
titled post with a content warning stays collapsed until tapped, its image then shows from
the local media cache (never from the peer) with its alt text; a very long post is shortened
with a link to the original; no sideways scroll, no CSP violation.

The server's database is seeded before it starts with what relaying would have stored (see
tests/flows/test_relay_shapes.py for that path over the wire).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, create_engine

from server.models import Group, RelayedPost, RemoteActor
from tests.browser.conftest import PHONE, Tab
from tests.browser.pages import Steps
from tests.servers import HearthServer, clean_env, free_port, run_hearth, serve

pytestmark = pytest.mark.browser

AUTHOR = "https://peer.example/users/picard"
IMAGE = "0123456789abcdef0123456789abcdef01234567.png"


def _png(width: int, height: int) -> bytes:
    """A real (grey) PNG, so the browser decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _seed(workdir: Path) -> None:
    engine = create_engine(f"sqlite:///{workdir / 'data' / 'hearth.db'}")
    with Session(engine) as session:
        group = Group(slug="club", name="Garden Club", posting_policy="followers")
        session.add(group)
        session.add(
            RemoteActor(
                uri=AUTHOR,
                inbox=f"{AUTHOR}/inbox",
                username="picard",
                domain="peer.example",
                name="Jean-Luc",
                type="Person",
            )
        )
        session.flush()
        attachment = {
            "kind": "image",
            "url": "https://peer.example/pictrs/image/spider.png",
            "alt": "A wolf spider on a leaf",
            "media_type": "image/png",
            "sensitive": True,
            "cached": IMAGE,
        }
        common = {"group_id": group.id or 0, "actor_uri": AUTHOR, "activity_json": "{}"}
        session.add(
            RelayedPost(
                object_uri="https://peer.example/post/1",
                url="https://peer.example/post/1",
                title="What lives in our compost",
                content_html="<p>Found these while turning the heap.</p>",
                summary="Spiders",
                sensitive=True,
                attachments_json=json.dumps([attachment]),
                **common,
            )
        )
        words = " ".join(f"word{n}" for n in range(1500))
        session.add(
            RelayedPost(
                object_uri="https://peer.example/post/2",
                url="https://peer.example/post/2",
                content_html=f"<p>{words}</p>",
                **common,
            )
        )
        session.commit()
    engine.dispose()
    cache = workdir / "data" / "uploads" / "remote"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / IMAGE).write_bytes(_png(40, 30))


@pytest.fixture
def server_with_relayed_posts(tmp_path: Path) -> Iterator[HearthServer]:
    port = free_port()
    env = clean_env(HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}")
    run_hearth(tmp_path, env, "migrate")
    _seed(tmp_path)
    with serve(tmp_path, env, port) as server:
        yield server


def test_relayed_posts_on_a_phone(
    browser: Browser, server_with_relayed_posts: HearthServer, screenshots: Path
) -> None:
    server = server_with_relayed_posts
    context = browser.new_context(viewport=PHONE, base_url=server.base_url)
    context.set_default_timeout(10_000)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        tab = Tab(context, server.base_url)
        page, steps = tab.page, Steps(tab, screenshots, "relayed-posts")
        tab.goto("/groups/club")
        steps.check("collapsed")
        post = page.locator("article.relayed").filter(has_text="What lives in our compost")
        expect(post.get_by_role("heading", name="What lives in our compost")).to_be_visible()
        expect(post.get_by_text("Found these while turning the heap.")).to_be_hidden()
        picture = post.get_by_role("img", name="A wolf spider on a leaf")
        expect(picture).to_be_hidden()

        post.locator("summary", has_text="Spiders").click()
        expect(post.get_by_text("Found these while turning the heap.")).to_be_visible()
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.complete && img.naturalWidth === 40")
        assert picture.get_attribute("src") == f"/media/remote/{IMAGE}"
        steps.check("opened")

        long_post = page.locator("article.relayed").filter(has_text="word10")
        expect(long_post).not_to_contain_text("word1400")
        link = long_post.get_by_role("link", name="Read the whole post on its server")
        expect(link).to_have_attribute("href", "https://peer.example/post/2")
        assert not [url for url in requested if "peer.example" in url]
    finally:
        context.close()
