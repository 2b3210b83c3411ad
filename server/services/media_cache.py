"""A local cache of remote posts' images, so visitors' browsers never contact other servers.

Images are fetched with the safe fetcher (the app's client refuses private addresses;
redirects are checked hop by hop), only of an image media type, at most the uploads size
limit, and kept only if their first bytes are a PNG, JPEG, GIF or WebP. They are stored
under ``<uploads>/remote/`` by a hash of their URL and served from ``/media/remote/``
(:class:`server.uploads.MediaFiles`: exact type, sandboxing CSP). Files expire after
:data:`EXPIRY`; a page then links to the original instead. Videos, audio and documents are
not cached: pages link to them on their own server.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from pathlib import Path

import httpx

from federation.fetch import FetchError, fetch_bytes, parse_media_type
from server.services.post_shape import Attachment
from server.uploads import MEDIA_TYPES, sniff_image_extension

log = logging.getLogger(__name__)

SUBDIRECTORY = "remote"
#: How long a cached image is kept (since it was fetched).
EXPIRY_SECONDS = 30 * 24 * 3600.0
#: Expired files are looked for at most this often.
PRUNE_EVERY_SECONDS = 3600.0
#: One image's fetch, redirects included, is abandoned after this long.
FETCH_TIMEOUT = 10.0
#: All the images of one post: what is not fetched by then stays a link to the original
#: (the inbox worker holds the activity meanwhile).
POST_BUDGET = 20.0
IMAGE_ACCEPT = ", ".join(sorted(set(MEDIA_TYPES.values())))


def _is_image_type(content_type: str) -> bool:
    return parse_media_type(content_type)[0] in MEDIA_TYPES.values()


def cached_path(uploads: Path, name: str) -> Path | None:
    """The cached file ``name`` if it is still there (not expired), else None."""
    if not name or "/" in name or name.startswith("."):
        return None
    path = uploads / SUBDIRECTORY / name
    return path if path.is_file() else None


class MediaCache:
    """Fetches remote images into ``<uploads>/remote`` (see the module docstring)."""

    def __init__(self, http: httpx.AsyncClient, uploads: Path, max_bytes: int) -> None:
        self.http = http
        self.directory = uploads / SUBDIRECTORY
        self.max_bytes = max_bytes
        self._pruned_at = 0.0

    async def cache_images(self, attachments: list[Attachment]) -> None:
        """Fetch each image attachment not cached yet; set its ``cached`` file name (left
        empty when the image cannot be had: the page then links to the original)."""
        self.prune_if_due()
        deadline = time.monotonic() + POST_BUDGET
        for attachment in attachments:
            left = deadline - time.monotonic()
            if attachment.kind == "image" and not attachment.cached and left > 0:
                attachment.cached = await self._fetch(attachment.url, min(left, FETCH_TIMEOUT))

    async def _fetch(self, url: str, timeout: float) -> str:  # noqa: ASYNC109 (a budget)
        stem = hashlib.sha256(url.encode()).hexdigest()[:40]
        for known in MEDIA_TYPES:
            if (self.directory / (stem + known)).is_file():
                return stem + known
        try:
            fetched = await fetch_bytes(
                self.http,
                url,
                accept=IMAGE_ACCEPT,
                accepts=_is_image_type,
                max_bytes=self.max_bytes,
                timeout=timeout,
            )
        except FetchError as exc:
            log.info("media cache: not caching %s: %s", url, exc)
            return ""
        extension = sniff_image_extension(fetched.body[:16])
        if extension is None:
            log.info("media cache: %s is not a PNG, JPEG, GIF or WebP image", url)
            return ""
        name = stem + extension
        await asyncio.to_thread(self._write, name, fetched.body)
        return name

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.directory / (name + ".part")
        temporary.write_bytes(data)
        temporary.replace(self.directory / name)

    def prune_if_due(self) -> int:
        """Delete expired files (at most once every :data:`PRUNE_EVERY_SECONDS`)."""
        now = time.time()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return 0
        self._pruned_at = now
        return self.prune(now)

    def prune(self, now: float | None = None) -> int:
        """Delete the files fetched more than :data:`EXPIRY_SECONDS` before ``now``."""
        limit = (time.time() if now is None else now) - EXPIRY_SECONDS
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.iterdir():
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
