"""A proposal's discussion: members comment on its page (the group shares each comment like
a post it relays), and each comment's ``Note`` is served at its id."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.jsonld import AS_CONTEXT
from server.activitypub.routes import (
    activity_response,
    check_signed_fetch,
    verified_signer,
    wants_activity_json,
)
from server.errors import Forbidden, NotFound
from server.i18n import _
from server.models import Group
from server.services import discussion, remote_membership
from server.services import membership as members
from server.services import proposals as proposal_service
from server.services.groups import get_group
from server.uris import LocalUris
from server.web.common import (
    db,
    flash,
    form_text,
    path_id,
    read_form,
    redirect,
    require_user,
    settings_of,
)


async def comment_submit(request: Request) -> Response:
    """A member adds to a proposal's discussion."""
    form = await read_form(request)
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        proposal_id = path_id(request, "proposal_id", _("No such proposal."))
        proposal = await proposal_service.get_proposal(session, group, proposal_id)
        membership = await members.get_membership(session, group, user)
        if not members.may(user, membership, "see_members"):
            raise Forbidden(_("Only members of the group take part in its discussions."))
        page = f"/groups/{group.slug}/proposals/{proposal.id}"
        await discussion.comment(
            session,
            uris,
            group,
            user,
            f"{uris.base}{page}",
            form_text(form, "content"),
            members_only=proposal.visibility != "public",
        )
    flash(request, _("Your comment is posted."), "success")
    return redirect(f"{page}#discussion")


async def note_object(request: Request) -> Response:
    """A comment written here, as a ``Note`` (members-only ones to members' servers only);
    people are sent to the discussion it belongs to."""
    uri = f"{settings_of(request).base_url}{request.url.path}"
    async with db(request) as session:
        post, note = await discussion.local_note(session, uri)
        if not wants_activity_json(request):
            return RedirectResponse(str(note.get("inReplyTo") or "/"), status_code=303)
        if post.members_only:
            group = await session.get(Group, post.group_id)
            signer = await verified_signer(request)
            if (
                group is None
                or signer is None
                or not await remote_membership.is_active_member(session, group, signer)
            ):
                raise NotFound(_("No such note."))
        elif refused := await check_signed_fetch(request):
            return refused
    return activity_response({"@context": AS_CONTEXT, **note})


routes = [
    Route("/groups/{slug}/proposals/{proposal_id}/comments", comment_submit, methods=["POST"]),
    Route("/users/{username}/notes/{note_id}", note_object, methods=["GET"]),
]
