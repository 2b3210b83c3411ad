"""What every route (HTML pages, the API, ActivityPub) reads from its request: the app's
settings, a numeric id from the path, the client's address.

A base module: it imports no layer of the app, so web, API and ActivityPub routes share it.
The request's database transaction is :func:`server.db.db`."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from server.config import Settings
from server.errors import NotFound
from server.inputs import row_id


def settings_of(request: HTTPConnection) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: HTTPConnection) -> str:
    """The client's IP address (the proxy's ``X-Forwarded-For`` when it is trusted)."""
    return request.client.host if request.client else ""


def path_id(request: HTTPConnection, name: str, missing: str) -> int:
    """A numeric id from the URL path; anything else is a 404 saying ``missing``."""
    found = row_id(str(request.path_params[name]))
    if found is None:
        raise NotFound(missing)
    return found
