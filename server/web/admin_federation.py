"""Admin page for federation: delivery queue depth and hosts that are failing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.queue import queue_stats
from server.web.common import db, render, require_admin


async def federation_page(request: Request) -> Response:
    """How deliveries are going."""
    async with db(request) as session:
        user = await require_admin(request, session)
        stats = await queue_stats(session)
        return await render(request, session, "admin/federation.html", {"stats": stats}, user=user)


routes = [Route("/admin/federation", federation_page, methods=["GET"])]
