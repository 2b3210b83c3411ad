"""Follows in the web UI: moderators answer follow requests; users follow fediverse accounts
and read their posts on a home page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub import follows, remote_polls
from server.activitypub.remote import RemoteError
from server.errors import InvalidInput
from server.i18n import _
from server.inputs import page_number, row_id
from server.services import home_feed
from server.services import membership as members
from server.services.groups import get_group
from server.uris import LocalUris
from server.web.common import (
    db,
    flash,
    form_text,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)
from server.web.runtime import web_runtime


async def follow_requests_page(request: Request) -> Response:
    """Pending follows of an approval-mode group, for its moderators."""
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "approve_members")
        pending = await follows.pending_requests(session, uris.group(group.slug))
        return await render(
            request,
            session,
            "follow_requests.html",
            {"group": group, "pending": pending},
            user=user,
        )


async def follow_request_submit(request: Request) -> Response:
    """Approve (Accept) or reject (Reject) one follow request."""
    form = await read_form(request)
    action = form_text(form, "action")
    if action not in ("approve", "reject"):
        raise InvalidInput(_("Unknown action."))
    uris = LocalUris(settings_of(request))
    raw_id = request.path_params["follow_id"]
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "approve_members")
        follow = await follows.get_request(session, uris.group(group.slug), row_id(raw_id) or 0)
        await follows.answer_follow(session, uris, follow, accept=action == "approve")
    flash(
        request,
        _("Follow request approved.") if action == "approve" else _("Follow request rejected."),
        "success",
    )
    return redirect(f"/groups/{group.slug}/follow-requests")


async def poll_vote(request: Request) -> Response:
    """Vote in a poll from the home timeline (sent to the poll's server)."""
    form = await read_form(request)
    raw = request.path_params["post_id"]
    async with db(request) as session:
        user = await require_user(request, session)
        try:
            await remote_polls.vote(
                session,
                LocalUris(settings_of(request)),
                user,
                row_id(raw) or 0,
                form_text(form, "option"),
            )
        except InvalidInput as error:
            flash(request, error.message, "error")
            return redirect("/home")
    flash(request, _("Your vote is on its way."), "success")
    return redirect("/home")


async def home_page(request: Request) -> Response:
    """The signed-in member's home: next meetups of their groups and follows, then what
    those groups and accounts published, newest first (``page``)."""
    uris = LocalUris(settings_of(request))
    page = page_number(request.query_params.get("page"), 99_999)
    async with db(request) as session:
        user = await require_user(request, session)
        context = {
            "home": await home_feed.home(
                session, user, uris.user(user.username), page, uris.settings.instance.timezone
            ),
            "following": await follows.followed_by(session, uris, user),
            "handle": request.query_params.get("handle", "")[:300],
            "poll_options": remote_polls.poll_options,
        }
        return await render(request, session, "home_timeline.html", context, user=user)


async def follow_submit(request: Request) -> Response:
    """Find a fediverse account by handle and follow it."""
    form = await read_form(request)
    handle = form_text(form, "handle").strip()
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
    if handle.count("@") < 1 or len(handle) > 300:
        flash(request, _("Enter a handle like @club@town.example."), "error")
        return redirect("/home")
    try:
        actor = await web_runtime(request).remote.actor_by_handle(handle)
    except RemoteError as exc:
        flash(
            request,
            _("We couldn't find %(handle)s: %(error)s") % {"handle": handle, "error": exc},
            "error",
        )
        return redirect("/home")
    async with db(request) as session:
        await follows.follow_remote(session, uris, user, actor)
    flash(request, _("Follow request sent to %(handle)s.") % {"handle": actor.handle}, "success")
    return redirect("/home")


async def unfollow_submit(request: Request) -> Response:
    """Stop following a fediverse account."""
    form = await read_form(request)
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
        await follows.unfollow_remote(session, uris, user, form_text(form, "actor"))
    flash(request, _("Unfollowed."))
    return redirect("/home")


routes = [
    Route("/groups/{slug}/follow-requests", follow_requests_page, methods=["GET"]),
    Route("/home/polls/{post_id}/vote", poll_vote, methods=["POST"]),
    Route("/groups/{slug}/follow-requests/{follow_id}", follow_request_submit, methods=["POST"]),
    Route("/home", home_page, methods=["GET"]),
    Route("/follow", follow_submit, methods=["POST"]),
    Route("/unfollow", unfollow_submit, methods=["POST"]),
]
