"""A short-lived cache of anonymous public reads: actor and object JSON, WebFinger, group
and meetup pages, calendars, collections — what other servers and passers-by fetch most.

Only GET/HEAD without cookies, credentials, signatures or conditional headers are cached,
only 200 answers that set no cookie and allow caching, per path, query and kind of answer
asked for (ActivityStreams, HTML, other). Entries live ``read_cache_seconds``; every
successful write through this process (a form, an API call) and every worker round that
changed something empties the cache, so a process always reads its own writes, and other
processes (``--workers``, a separate ``hearth worker``) see them within the TTL. An inbox
POST only stores the activity: the worker round that applies it empties the cache, so a
burst of inbox POSTs leaves the reads cached until then.
"""

from __future__ import annotations

from dataclasses import dataclass

from cachetools import TTLCache
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.i18n import get_locale
from server.ttl_cache import ttl_cache
from server.uris import is_inbox_path

#: Paths whose answers depend on who asks (or are private links), never cached.
PRIVATE_PREFIXES = (
    "/admin",
    "/me",
    "/api/",
    "/calendar/",
    "/login",
    "/setup",
    "/signup",
    "/reset",
    "/report",
    "/home",
    "/notifications",
    "/follow",
    "/static/",
    "/media/",
)
BYPASS_HEADERS = (
    b"cookie",
    b"authorization",
    b"signature",
    b"signature-input",
    b"if-none-match",
    b"if-modified-since",
    b"range",
)
MAX_BODY = 512 * 1024
MAX_ENTRIES = 1024


@dataclass(frozen=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ReadCache:
    """Responses by key, each for ``ttl`` seconds, least recently used dropped first."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: TTLCache[tuple[str, ...], Entry] = ttl_cache(
            max(ttl, 0.0), max_entries=MAX_ENTRIES
        )

    def get(self, key: tuple[str, ...]) -> Entry | None:
        return self._entries.get(key)

    def put(
        self, key: tuple[str, ...], status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        self._entries[key] = Entry(status, headers, body)

    def clear(self) -> None:
        """Forget everything (something was written)."""
        self._entries.clear()


def _accept_kind(scope: Scope) -> str:
    accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1").lower()
    if "activity+json" in accept or "ld+json" in accept or "jrd" in accept:
        return "ap"
    return "html" if "html" in accept else accept[:40]


def _cacheable(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    if scope["path"].startswith(PRIVATE_PREFIXES):
        return False
    return not any(name in BYPASS_HEADERS for name, _ in scope.get("headers", []))


def _storable(start: Message) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start.get("headers", []):
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True


class ReadCacheMiddleware:
    """Serves anonymous public reads from :class:`ReadCache` (see the module docstring)."""

    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cache.ttl <= 0 or scope["type"] != "http":
            await self.app(scope, receive, send)
        elif not _cacheable(scope):
            await self.app(scope, receive, self._clearing_after_writes(scope, send))
        else:
            await self._cached(scope, receive, send)

    def _clearing_after_writes(self, scope: Scope, send: Send) -> Send:
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or is_inbox_path(scope["path"]):
            return send

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.cache.clear()
            await send(message)

        return watch

    async def _cached(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = (
            dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1"),
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            _accept_kind(scope),
            get_locale(),  # the language the request was answered in (server.web.locale)
        )
        entry = self.cache.get(key)
        if entry is not None:
            headers = [*entry.headers, (b"x-cache", b"hit")]
            await send({"type": "http.response.start", "status": entry.status, "headers": headers})
            await send({"type": "http.response.body", "body": entry.body})
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and start and _storable(start):
                chunks.append(message.get("body", b""))
                size = sum(len(chunk) for chunk in chunks)
                if not message.get("more_body") and size <= MAX_BODY:
                    self.cache.put(
                        key, start["status"], list(start.get("headers", [])), b"".join(chunks)
                    )
            await send(message)

        await self.app(scope, receive, capture)
