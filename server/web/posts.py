"""Group announcements in the web UI: post as the group, edit, delete, and each post's page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.mentions import entities_of
from server.activitypub.routes import post_object, wants_activity_json
from server.errors import HearthError, NotFound
from server.i18n import _
from server.models import MembershipState
from server.services import membership as members
from server.services import post_actions
from server.services.groups import get_group
from server.services.posts import get_post
from server.services.reactions import reactions_of
from server.uris import LocalUris
from server.web.common import (
    current_user,
    db,
    flash,
    form_text,
    path_id,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)


def _post_id(request: Request) -> int:
    return path_id(request, "post_id", _("No such post."))


async def post_page(request: Request) -> Response:
    """A post's own page (or its Note, for servers)."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        post = await get_post(session, group, _post_id(request))
        if wants_activity_json(request):
            return await post_object(request, session, group, post)
        user = await current_user(request, session)
        membership = await members.get_membership(session, group, user)
        can_post = members.may(user, membership, "post_as_group")
        is_member = membership is not None and membership.state == MembershipState.ACTIVE
        # The same rule as the group page's list (list_posts): followers-only and
        # members-only posts show to the group's members and organizers.
        if post.visibility not in ("public", "unlisted") and not (can_post or is_member):
            raise NotFound(_("No such post."))
        return await render(
            request,
            session,
            "post.html",
            {
                "group": group,
                "post": post,
                "can_post": can_post,
                "reactions": await reactions_of(
                    session, LocalUris(settings_of(request)).post(group.slug, post.id or 0)
                ),
            },
            user=user,
        )


async def _may_post(request: Request) -> None:
    """Only the group's organizers post (checked before any mention is looked up)."""
    async with db(request) as session:
        user = await require_user(request, session)
        await post_actions.posting_group(session, request.path_params["slug"], user)


async def post_submit(request: Request) -> Response:
    """Publish an announcement as the group (moderators and admins)."""
    form = await read_form(request)
    content = form_text(form, "content")
    await _may_post(request)
    entities = await entities_of(request, content)
    try:
        async with db(request) as session:
            user = await require_user(request, session)
            slug, visibility = request.path_params["slug"], form_text(form, "visibility", "public")
            group, _post = await post_actions.publish(
                session, settings_of(request), slug, user, content, visibility, entities
            )
    except HearthError as error:
        if error.status != 400:
            raise
        flash(request, error.message, "error")
        return redirect(f"/groups/{request.path_params['slug']}")
    flash(request, _("Posted. Followers across the fediverse will see it shortly."), "success")
    return redirect(f"/groups/{group.slug}")


async def post_edit_submit(request: Request) -> Response:
    """Change a post's text (sends Update)."""
    form = await read_form(request)
    content = form_text(form, "content")
    await _may_post(request)
    entities = await entities_of(request, content)
    async with db(request) as session:
        user = await require_user(request, session)
        slug, post_id = request.path_params["slug"], _post_id(request)
        group, post = await post_actions.edit(
            session, settings_of(request), slug, user, post_id, content, entities
        )
    flash(request, _("Post updated."), "success")
    return redirect(f"/groups/{group.slug}/posts/{post.id}")


async def post_delete_submit(request: Request) -> Response:
    """Delete a post (sends Delete)."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        group = await post_actions.delete(
            session, settings_of(request), request.path_params["slug"], user, _post_id(request)
        )
    flash(request, _("Post deleted."))
    return redirect(f"/groups/{group.slug}")


routes = [
    Route("/groups/{slug}/posts", post_submit, methods=["POST"]),
    Route("/groups/{slug}/posts/{post_id}", post_page, methods=["GET"]),
    Route("/groups/{slug}/posts/{post_id}/edit", post_edit_submit, methods=["POST"]),
    Route("/groups/{slug}/posts/{post_id}/delete", post_delete_submit, methods=["POST"]),
]
