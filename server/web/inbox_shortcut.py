"""Inbox POSTs take a short path through the application.

Other servers POST activities by the thousand when a group is shared widely; none of them
has a session, a language, a cached page or a moved group's page to be redirected to. The
shortcut sends those POSTs past the middleware that only people's requests need (sessions,
locale, read cache, moved-group redirects) and past route matching, keeping what protects
the inbox: the per-address rate limit and the body cap. Errors are answered in JSON, as
the inbox answers everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.activitypub import inbox
from server.config import Settings
from server.errors import HearthError
from server.web.middleware import BodySizeLimitMiddleware, BodyTooLarge
from server.web.rate_limit import RateLimitMiddleware, TokenBuckets

#: The inbox routes (``inbox.routes``): the shared inbox, the instance actor's, a group's and
#: a user's; ``name`` is one path segment, as Starlette's ``{name}`` matches.
INBOX_PATH = re.compile(r"^/(?:actor/|(?:groups|users)/(?P<name>[^/]+)/)?inbox$")


def inbox_path_params(path: str) -> dict[str, str] | None:
    """The route's path parameters if ``path`` is one of our inboxes, else None."""
    found = INBOX_PATH.match(path)
    if found is None:
        return None
    name = found.group("name")
    return {} if name is None else {"name": name}


async def _hearth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HearthError)
    return inbox.problem(exc.status, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return inbox.problem(exc.status_code, str(exc.detail), exc.headers)


async def _too_large(request: Request, exc: Exception) -> Response:
    return inbox.problem(413, "the request body is too large")


INBOX_ERRORS: dict[type[Exception], Callable[[Request, Exception], object]] = {
    HearthError: _hearth_error,
    HTTPException: _http_error,
    BodyTooLarge: _too_large,
}


def _inbox_app(
    settings: Settings, buckets: TokenBuckets, limit_for: Callable[[str], int]
) -> ASGIApp:
    """The inbox endpoint behind the rate limit and the body cap, its errors in JSON."""
    endpoint = request_response(inbox.receive)

    async def handling_errors(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = (INBOX_ERRORS, {})
        await endpoint(scope, receive, send)

    capped = BodySizeLimitMiddleware(handling_errors, limit_for=limit_for)
    return RateLimitMiddleware(capped, limits=settings.rate_limits, buckets=buckets)


class InboxShortcut:
    """Middleware: inbox POSTs go straight to the inbox (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        buckets: TokenBuckets,
        limit_for: Callable[[str], int],
    ) -> None:
        self.app = app
        self.inbox = _inbox_app(settings, buckets, limit_for)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            params = inbox_path_params(scope["path"])
            if params is not None:
                scope["path_params"] = params
                await self.inbox(scope, receive, send)
                return
        await self.app(scope, receive, send)
