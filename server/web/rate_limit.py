"""Rate limits: the inbox per IP (the signer's domain is charged by the inbox once the
signature verifies, with the same buckets), logging in per IP, the API per token
(or IP). Over the limit: 429 with ``Retry-After`` (seconds), before the request is read.

Token buckets held in memory per process (refilled continuously, ``limit`` per minute with
a burst of ``limit``); at most :data:`MAX_KEYS` keys are remembered, the least recently
used forgotten first. A limit of 0 turns that limit off.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from server.config import RateLimitConfig
from server.uris import is_inbox_path

MAX_KEYS = 50_000


class TokenBuckets:
    """``limit`` requests a minute per key, with bursts of up to ``limit``."""

    def __init__(self) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, limit: int, now: float | None = None) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until one is free."""
        if limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = limit / 60.0
        tokens, stamp = self._buckets.pop(key, (float(limit), now))
        tokens = min(float(limit), tokens + (now - stamp) * rate)
        waited = 0.0 if tokens >= 1 else (1 - tokens) / rate
        self._buckets[key] = (tokens - 1 if tokens >= 1 else tokens, now)
        if len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return waited


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class RateLimitMiddleware:
    """Answers 429 to clients over their limit (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: RateLimitConfig, buckets: TokenBuckets) -> None:
        self.app = app
        self.limits = limits
        self.buckets = buckets

    def _keys(self, scope: Scope) -> list[tuple[str, int]]:
        path, method = scope.get("path", ""), scope.get("method", "")
        client = (scope.get("client") or ("unknown", 0))[0]
        limits = self.limits
        if method == "POST" and is_inbox_path(path):
            # Charged to the sender's address: the key id it names is not verified yet (the
            # signer's domain is charged by the inbox once the signature verifies).
            return [(f"inbox-ip {client}", limits.inbox_per_ip)]
        if method == "POST" and path == "/login":
            return [(f"login {client}", limits.login_per_ip)]
        if path.startswith("/api/"):
            token = _header(scope, b"authorization")
            who = hashlib.sha256(token.encode()).hexdigest()[:16] if token else client
            return [(f"api {who}", limits.api_per_client)]
        return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wait = max(
                (self.buckets.take(key, limit) for key, limit in self._keys(scope)), default=0
            )
            if wait > 0:
                await _too_many(send, math.ceil(wait))
                return
        await self.app(scope, receive, send)


async def _too_many(send: Send, retry_after: int) -> None:
    body = b'{"error":"too_many_requests","detail":"Slow down and retry later."}'
    headers = [
        (b"content-type", b"application/json"),
        (b"retry-after", str(retry_after).encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
