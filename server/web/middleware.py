"""Pure ASGI middleware: request body caps and security headers on every response."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.i18n import _
from server.inputs import whole_number

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: Pages other websites may frame (server.web.embed): any ancestor, and no cookie set.
FRAMABLE_PREFIX = "/embed/"
FRAMABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors *"
)


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a body grows past its cap."""


def _too_large_response(scope: Scope, limit: int) -> tuple[bytes, bytes]:
    reason = _("The request body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": "payload_too_large", "detail": reason}).encode()
        return body, b"application/json"
    return reason.encode(), b"text/plain; charset=utf-8"


class BodySizeLimitMiddleware:
    """Answer 413 when a body exceeds the cap for its path, before reading it all.

    ``limit_for`` maps a path to its cap in bytes. A declared Content-Length over the cap
    is refused at once; a body that streams past it is cut off when it does.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (whole_number(declared, 0, 2**63) or 0) > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        body, content_type = _too_large_response(scope, limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", content_type), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class NulCharacterMiddleware:
    """Answer 400 when the path or the query string holds a NUL character: no name, handle or
    search contains one, and PostgreSQL refuses them in text (it would be a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if scope["type"] != "http" or not (
            "\x00" in scope["path"] or b"%00" in query or b"\x00" in query
        ):
            await self.app(scope, receive, send)
            return
        reason = _("The address contains a NUL character.")
        if scope["path"].startswith("/api/"):
            body = json.dumps({"error": "bad_request", "detail": reason}).encode()
            content_type = b"application/json"
        else:
            body, content_type = reason.encode(), b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", content_type)],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Add no-sniff, framing, referrer and content-security headers to every response.

    Every page refuses to be framed (``X-Frame-Options: DENY``, ``frame-ancestors 'none'``)
    except those under ``/embed/``, which any site may frame and which never set a cookie
    (a visitor's session cookie is not refreshed there either)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        framable = scope["path"].startswith(FRAMABLE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if framable:
                    del headers["set-cookie"]
                    headers.setdefault("Content-Security-Policy", FRAMABLE_CONTENT_SECURITY_POLICY)
                else:
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)
