"""The month grid of meetups, rendered on the server: the instance's public meetups
(``/events/month``) and a group's (``/groups/NAME/events/month``), ``?month=YYYY-MM``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.services import membership as members
from server.services.groups import get_group
from server.services.meetup_lists import day_names, month_grid, parse_month, today_in
from server.web.common import current_user, db, render, settings_of


async def instance_month(request: Request) -> Response:
    """Every public meetup of the instance in one month."""
    today = today_in(settings_of(request).instance.timezone)
    first = parse_month(request.query_params.get("month", ""), today)
    async with db(request) as session:
        month = await month_grid(session, first, today, group=None)
        context = {"month": month, "group": None, "day_names": day_names(), "base": "/events"}
        return await render(request, session, "month.html", context)


async def group_month(request: Request) -> Response:
    """A group's meetups in one month (members-only ones for its members)."""
    today = today_in(settings_of(request).instance.timezone)
    first = parse_month(request.query_params.get("month", ""), today)
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user = await current_user(request, session)
        membership = await members.get_membership(session, group, user)
        month = await month_grid(
            session,
            first,
            today,
            group=group,
            include_members_only=members.may(user, membership, "see_members"),
        )
        context = {
            "month": month,
            "group": group,
            "day_names": day_names(),
            "base": f"/groups/{group.slug}/events",
        }
        return await render(request, session, "month.html", context, user=user)


routes = [
    Route("/events/month", instance_month, methods=["GET"]),
    Route("/groups/{slug}/events/month", group_month, methods=["GET"]),
]
