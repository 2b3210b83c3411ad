"""The instance home page with the group directory, the about page and user pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.routes import user_actor, wants_activity_json
from server.i18n import _
from server.markup import render_markdown
from server.models import MembershipState, UserState
from server.services.calendar import EventQuery, upcoming_events
from server.services.federation_admin import known_instances
from server.services.groups import DirectoryQuery, count_groups, groups_of_user, search_directory
from server.services.meetup_lists import entries_of
from server.services.users import count_active_users, get_user
from server.web.common import db, render, settings_of
from server.web.runtime import web_runtime
from server.web.setup import needs_setup

#: Meetups on the home page (a series counts once), read from the next ``UPCOMING_READ``.
UPCOMING_SHOWN = 6
UPCOMING_READ = 60


async def home(request: Request) -> Response:
    """What this instance is, and a directory of its public groups (name, tag, place)."""
    query = DirectoryQuery.from_params(request.query_params)
    async with db(request) as session:
        groups, total = await search_directory(session, query)
        rows, _ignored = await upcoming_events(session, EventQuery(), limit=UPCOMING_READ)
        zone = settings_of(request).instance.timezone
        context = {
            "upcoming": await entries_of(session, rows, zone, UPCOMING_SHOWN),
            "groups": groups,
            "total": total,
            "query": query,
            "pages": max(1, -(-total // query.per_page)),
            "is_filtered": bool(query.text or query.tag or query.place),
            "needs_setup": await needs_setup(request, session),
            "stats": {
                "users": await count_active_users(session),
                "groups": await count_groups(session),
            },
        }
        return await render(request, session, "home.html", context)


async def about(request: Request) -> Response:
    """The instance's description, rules and admin contact."""
    async with db(request) as session:
        response = await render(request, session, "about.html")
    return response


async def user_page(request: Request) -> Response:
    """A local user's public profile (or Person actor) with the public groups they belong to."""
    if wants_activity_json(request):
        return await user_actor(request)
    async with db(request) as session:
        person = await get_user(session, request.path_params["username"])
        if person.state != UserState.ACTIVE:
            return await render(
                request,
                session,
                "error.html",
                {"message": _("This account is not available.")},
                status=404,
            )
        groups = [
            group
            for group, membership in await groups_of_user(session, person)
            if group.visibility == "public" and membership.state == MembershipState.ACTIVE
        ]
        return await render(
            request,
            session,
            "user.html",
            {"person": person, "bio_html": render_markdown(person.bio), "groups": groups},
        )


async def instances_page(request: Request) -> Response:
    """The servers this instance knows, and how federation with each is going."""
    await web_runtime(request).policy.refresh()
    async with db(request) as session:
        known = await known_instances(session, web_runtime(request).policy)
        context = {"instances": known, "mode": web_runtime(request).policy.mode}
        return await render(request, session, "instances.html", context)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/about/instances", instances_page, methods=["GET"]),
    Route("/about", about, methods=["GET"]),
    Route("/users/{username}", user_page, methods=["GET"]),
]
