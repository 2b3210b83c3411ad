"""Pages of a group that moved to another server redirect there (308).

Browsers asking for ``/groups/NAME/…`` go to the same page of the new group, and a meetup
page ``/events/ID`` of the group goes to the new group's meetups. Servers asking for
``application/activity+json`` still get the old actor (with ``movedTo``) and objects, as
Mastodon needs to read ``movedTo``; the group's ``/move`` and ``/archive`` pages stay for
its admins.
"""

from __future__ import annotations

import re

from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from server.activitypub.move import moved_groups
from server.activitypub.routes import wants_activity_json
from server.activitypub.runtime import runtime_of
from server.db import transaction
from server.models import Event

GROUP_PATH = re.compile(r"^/groups/([^/]+)(/.*)?$")
EVENT_PATH = re.compile(r"^/events/([0-9]{1,18})(?:/.*)?$")
KEPT_PAGES = ("/move", "/archive")


async def _event_group(app: Starlette, event_id: int) -> int | None:
    async with transaction(runtime_of(app).sessions) as session:
        return await session.scalar(select(Event.group_id).where(Event.id == event_id))


async def redirect_for(app: Starlette, path: str) -> str | None:
    """Where a browser asking for ``path`` should go instead, if its group moved."""
    moved = await moved_groups(runtime_of(app))
    if not moved.by_slug:
        return None
    if found := GROUP_PATH.match(path):
        target = moved.by_slug.get(found.group(1))
        rest = found.group(2) or ""
        if target is None or rest in KEPT_PAGES:
            return None
        return target + rest
    if found := EVENT_PATH.match(path):
        group_id = await _event_group(app, int(found.group(1)))
        target = moved.by_id.get(group_id) if group_id is not None else None
        return f"{target}/events" if target else None
    return None


class MovedGroupMiddleware:
    """Redirects browsers from a moved group's pages to its new home."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            if path.startswith(("/groups/", "/events/")):
                request = Request(scope)
                if not wants_activity_json(request):
                    target = await redirect_for(scope["app"], path)
                    if target is not None:
                        await RedirectResponse(target, status_code=308)(scope, receive, send)
                        return
        await self.app(scope, receive, send)
