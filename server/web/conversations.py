"""Moderating a group's conversations: act on a relayed post (approve, hide, delete, block
its author), the review queue of held posts, and the list of blocked accounts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.i18n import _
from server.services import conversations
from server.services import membership as members
from server.services.groups import get_group
from server.uris import LocalUris
from server.web.common import (
    db,
    flash,
    form_text,
    path_id,
    read_form,
    redirect,
    render,
    require_user,
    safe_next,
    settings_of,
)


async def moderate_submit(request: Request) -> Response:
    """A moderator acts on one relayed post."""
    form = await read_form(request)
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "moderate")
        post_id = path_id(request, "post_id", _("No such post."))
        post = await conversations.get_relayed(session, group, post_id)
        action = form_text(form, "action")
        message = await conversations.moderate(session, uris, group, post, action, user)
    flash(request, message, "success")
    return redirect(safe_next(form_text(form, "next"), f"/groups/{group.slug}#conversations"))


async def review_page(request: Request) -> Response:
    """Held posts waiting for review, and the accounts the group blocked."""
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "moderate")
        context = {
            "group": group,
            "held": await conversations.held(session, group),
            "blocks": await conversations.blocked(session, group),
        }
        return await render(request, session, "review.html", context, user=user)


async def unblock_submit(request: Request) -> Response:
    """Lift a block."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "moderate")
        block_id = path_id(request, "block_id", _("No such block."))
        await conversations.unblock(session, group, block_id, user)
    flash(request, _("Unblocked."), "success")
    return redirect(f"/groups/{group.slug}/review")


routes = [
    Route("/groups/{slug}/relayed/{post_id}", moderate_submit, methods=["POST"]),
    Route("/groups/{slug}/review", review_page, methods=["GET"]),
    Route("/groups/{slug}/blocks/{block_id}/remove", unblock_submit, methods=["POST"]),
]
