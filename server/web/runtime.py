"""The runtime as the HTML pages see it: ``server.activitypub.runtime.Runtime`` plus what only
the pages use (templates, login throttle, calendar feed cache…), reached with
``web_runtime(request)``."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from server.activitypub.runtime import Runtime, runtime_of
from server.web.login_throttle import LoginThrottle
from server.web.rate_limit import TokenBuckets
from server.web.read_cache import ReadCache


@dataclass(kw_only=True, eq=False)
class WebRuntime(Runtime):
    """The runtime of an app serving HTML pages (every app ``create_app`` builds)."""

    read_cache: ReadCache
    rate_buckets: TokenBuckets
    templates: Jinja2Templates
    #: Failed logins per account, and the devices that signed in before.
    login_throttle: LoginThrottle
    #: Rendered calendar feeds by version (``server.web.feeds``), one build at a time each.
    feed_cache: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    feed_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    #: Whether an account exists (then the first-run setup page is gone for good).
    has_accounts: bool = False


def web_runtime_of(app: Starlette) -> WebRuntime:
    """The runtime ``create_app`` built for ``app``, with its pages' parts."""
    found = runtime_of(app)
    if not isinstance(found, WebRuntime):
        raise TypeError("this app serves no HTML pages")
    return found


def web_runtime(request: HTTPConnection) -> WebRuntime:
    """The runtime of the app serving ``request``, with its pages' parts."""
    return web_runtime_of(request.app)
