"""The digital bulletin board: upcoming meetups made to be framed by other websites.

``/embed/groups/NAME`` shows a group's next public meetups, ``/embed/events`` the instance's
(filtered like ``/events``: ``?tag=…``, ``?group=…``). These pages are the only ones other
sites may frame (see ``server.web.middleware``); they set no cookie (they never touch the
session), load nothing from elsewhere and count nobody. ``?screen=1`` is the layout for
shop-window and community-centre screens: big type, a QR code, reloading itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.db import utcnow
from server.errors import Gone
from server.i18n import _
from server.models import Event, Group
from server.services.calendar import EventQuery, upcoming_events
from server.services.groups import get_group
from server.services.instance import InstanceInfo, load_instance_info
from server.web.common import db, settings_of
from server.web.feeds import qr_svg
from server.web.runtime import web_runtime

#: Meetups listed: a wall screen has room for a few; a sidebar iframe scrolls.
EMBED_LIMIT = 12
SCREEN_LIMIT = 5
#: How often a wall screen reloads itself (seconds), read by static/embed.js.
SCREEN_RELOAD_SECONDS = 600


def _is_screen(request: Request) -> bool:
    return request.query_params.get("screen", "") in ("1", "true", "yes")


def _limit(request: Request) -> int:
    return SCREEN_LIMIT if _is_screen(request) else EMBED_LIMIT


def _render(request: Request, instance: InstanceInfo, context: dict[str, Any]) -> Response:
    """Render embed.html: no user, no flashes, no CSRF token. Nothing here reads or writes
    the session, so no cookie is ever set."""
    screen = _is_screen(request)
    page = {
        "request": request,
        "instance": instance,
        "settings": settings_of(request),
        "screen": screen,
        "reload_seconds": SCREEN_RELOAD_SECONDS,
        "qr": qr_svg(context["more_url"]) if screen else None,
        **context,
    }
    response = web_runtime(request).templates.TemplateResponse(request, "embed.html", page)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def embed_group(request: Request) -> Response:
    """A group's next public meetups, for an iframe on the group's own website."""
    settings = settings_of(request)
    async with db(request) as session:
        instance = await load_instance_info(session, settings)
        group = await get_group(session, request.path_params["slug"])
        if group.suspended_at is not None:
            raise Gone(_("This group was suspended by the instance's admins."))
        rows = await session.exec(
            select(Event)
            .where(
                Event.group_id == group.id,
                Event.visibility == "public",
                col(Event.ends_at) >= utcnow(),
            )
            .order_by(col(Event.starts_at), col(Event.id))
            .limit(_limit(request))
        )
        events: list[tuple[Event, Group]] = [(event, group) for event in rows.all()]
    return _render(
        request,
        instance,
        {
            "heading": _("Meetups of %(group)s") % {"group": group.name},
            "rows": events,
            "show_group": False,
            "more_url": f"{settings.base_url}/groups/{group.slug}",
            "more_label": f"{group.name} on {instance.name}",
        },
    )


async def embed_events(request: Request) -> Response:
    """The instance's next public meetups, optionally of one tag or group."""
    settings = settings_of(request)
    query = EventQuery.from_params(request.query_params)
    query = EventQuery(group=query.group, tag=query.tag)  # always from now, first page
    async with db(request) as session:
        instance = await load_instance_info(session, settings)
        rows, _ignored = await upcoming_events(session, query, limit=_limit(request))
    filters = {key: value for key, value in (("tag", query.tag), ("group", query.group)) if value}
    if query.tag:
        heading = _("Meetups tagged #%(tag)s") % {"tag": query.tag}
    elif query.group:
        heading = _("Meetups of @%(group)s") % {"group": query.group}
    else:
        heading = _("Meetups on %(instance)s") % {"instance": instance.name}
    suffix = f"?{urlencode(filters)}" if filters else ""
    return _render(
        request,
        instance,
        {
            "heading": heading,
            "rows": rows,
            "show_group": True,
            "more_url": f"{settings.base_url}/events{suffix}",
            "more_label": _("All meetups on %(instance)s") % {"instance": instance.name},
        },
    )


routes = [
    Route("/embed/groups/{slug}", embed_group, methods=["GET"]),
    Route("/embed/events", embed_events, methods=["GET"]),
]
