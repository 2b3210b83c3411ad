"""What every route (HTML pages, the API, ActivityPub) reads from its request: the app's
settings, a numeric id from the path, the client's address; and the part of the app's
runtime every layer shares (``CoreRuntime``, extended by ``server.activitypub.runtime``).

A base module: it imports no layer of the app, so web, API and ActivityPub routes share it.
The request's database transaction is :func:`server.db.db`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from server.config import Settings
from server.errors import NotFound
from server.inputs import row_id


@dataclass(kw_only=True, eq=False)
class CoreRuntime:
    """What one app built at start that every layer reads: the base of the app's runtime
    (``server.activitypub.runtime.Runtime``), the one thing ``app.state`` holds."""

    settings: Settings
    #: Signs sessions and derives other secrets (check-in codes, feed tokens); never shown.
    secret_key: str
    engine: AsyncEngine
    #: Sessions whose commits wake the worker when they queue work (``server.db``).
    sessions: async_sessionmaker[AsyncSession]
    #: For talking to other servers (private addresses refused, no auto-redirects).
    http: httpx.AsyncClient


def core_of(app: Starlette) -> CoreRuntime:
    """The runtime ``server.app.create_app`` built for ``app``, as every layer sees it."""
    found = app.state.runtime
    if not isinstance(found, CoreRuntime):
        raise TypeError("this app was not built by server.app.create_app")
    return found


def settings_of(request: HTTPConnection) -> Settings:
    """The app's settings."""
    return core_of(request.app).settings


def client_address(request: HTTPConnection) -> str:
    """The client's IP address (the proxy's ``X-Forwarded-For`` when it is trusted)."""
    return request.client.host if request.client else ""


def path_id(request: HTTPConnection, name: str, missing: str) -> int:
    """A numeric id from the URL path; anything else is a 404 saying ``missing``."""
    found = row_id(str(request.path_params[name]))
    if found is None:
        raise NotFound(missing)
    return found
