"""``/tags/NAME``: the page a hashtag in a group post links to (as Mastodon's ``#tag``
links go to its tag page): the public groups, upcoming meetups and group posts with that tag."""

from __future__ import annotations

import re

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import NotFound
from server.i18n import _
from server.models import Group, GroupPost
from server.services.calendar import EventQuery, upcoming_events
from server.services.groups import DirectoryQuery, search_directory
from server.web.common import db, render, settings_of

TAG = re.compile(r"^\w[\w-]{0,63}$")
POSTS_SHOWN = 20


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def tag_page(request: Request) -> Response:
    """Everything public here with this tag."""
    tag = request.path_params["tag"].lstrip("#").lower()
    if not TAG.match(tag):
        raise NotFound(_("No such tag."))
    href = f'{settings_of(request).base_url}/tags/{tag}"'
    async with db(request) as session:
        groups, group_total = await search_directory(session, DirectoryQuery(tag=tag))
        events, event_total = await upcoming_events(session, EventQuery(tag=tag))
        query = (
            select(GroupPost, Group)
            .join(Group, col(Group.id) == col(GroupPost.group_id))
            .where(
                col(GroupPost.visibility) == "public",
                Group.visibility == "public",
                col(Group.suspended_at).is_(None),
                col(GroupPost.tags_json).like(f"%{_like(href)}%", escape="\\"),
            )
            .order_by(col(GroupPost.published_at).desc())
            .limit(POSTS_SHOWN)
        )
        posts = list((await session.exec(query)).all())
        context = {
            "tag": tag,
            "groups": groups,
            "group_total": group_total,
            "rows": events,
            "event_total": event_total,
            "posts": posts,
        }
        return await render(request, session, "tag.html", context)


routes = [Route("/tags/{tag}", tag_page, methods=["GET"])]
