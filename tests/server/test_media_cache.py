"""The media cache of remote images (issue #14): private addresses are never contacted,
files that are not images are not kept, oversized files are abandoned, and cached files
expire (a page then links to the original)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from federation.safe_transport import SafeTransport
from server.services import media_cache
from server.services.media_cache import MediaCache, cached_path
from server.services.post_shape import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _serving(body: bytes, content_type: str, seen: list[str]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_an_image_is_cached_once_and_served_by_name(tmp_path: Path) -> None:
    seen: list[str] = []
    cache = MediaCache(_serving(PNG, "image/png", seen), tmp_path, 1000)
    first = Attachment("image", "https://pics.example/a.png", "a cat")
    again = Attachment("image", "https://pics.example/a.png", "a cat")
    await cache.cache_images([first])
    await cache.cache_images([again])
    assert first.cached == again.cached and first.cached.endswith(".png")
    found = cached_path(tmp_path, first.cached)
    assert found is not None and found.read_bytes() == PNG
    assert seen == ["https://pics.example/a.png"]


async def test_what_is_not_a_small_image_is_not_kept(tmp_path: Path) -> None:
    seen: list[str] = []
    script = Attachment("image", "https://pics.example/x.png")
    await MediaCache(
        _serving(b"<svg onload=alert(1)>", "image/png", seen), tmp_path, 1000
    ).cache_images([script])
    html = Attachment("image", "https://pics.example/y.png")
    await MediaCache(_serving(PNG, "text/html", seen), tmp_path, 1000).cache_images([html])
    big = Attachment("image", "https://pics.example/z.png")
    await MediaCache(_serving(PNG + bytes(2000), "image/png", seen), tmp_path, 1000).cache_images(
        [big]
    )
    video = Attachment("video", "https://pics.example/v.mp4")
    await MediaCache(_serving(PNG, "image/png", seen), tmp_path, 1000).cache_images([video])
    assert [a.cached for a in (script, html, big, video)] == ["", "", "", ""]
    assert "https://pics.example/v.mp4" not in seen  # videos are linked, never fetched


async def test_private_addresses_are_never_contacted(tmp_path: Path) -> None:
    contacted: list[str] = []

    def inner(request: httpx.Request) -> httpx.Response:
        contacted.append(str(request.url))
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})

    transport = SafeTransport(httpx.MockTransport(inner))
    cache = MediaCache(httpx.AsyncClient(transport=transport), tmp_path, 1000)
    local = Attachment("image", "http://127.0.0.1:8080/admin.png")
    metadata = Attachment("image", "http://169.254.169.254/latest/meta-data.png")
    await cache.cache_images([local, metadata])
    assert (local.cached, metadata.cached, contacted) == ("", "", [])


async def test_cached_images_expire(tmp_path: Path) -> None:
    cache = MediaCache(_serving(PNG, "image/png", []), tmp_path, 1000)
    old, new = (
        Attachment("image", "https://p.example/1.png"),
        Attachment("image", "https://p.example/2.png"),
    )
    await cache.cache_images([old, new])
    stale = time.time() - media_cache.EXPIRY_SECONDS - 60
    os.utime(tmp_path / "remote" / old.cached, (stale, stale))
    assert cache.prune() == 1
    assert cached_path(tmp_path, old.cached) is None
    assert cached_path(tmp_path, new.cached) is not None
    assert cached_path(tmp_path, "../secret.png") is None


async def test_a_post_past_its_time_budget_keeps_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(media_cache, "POST_BUDGET", 0.0)
    late = Attachment("image", "https://pics.example/late.png")
    await MediaCache(_serving(PNG, "image/png", seen), tmp_path, 1000).cache_images([late])
    assert (late.cached, seen) == ("", [])
