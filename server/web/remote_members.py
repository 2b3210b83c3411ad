"""Moderators managing members on other servers (approve, decline, remove, change role) and
inviting people: a fediverse handle gets an ``Invite``; local people get an invite link
(valid :data:`INVITE_DAYS` days) that lets them into an invite-only group."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub import group_join
from server.activitypub.remote import RemoteError
from server.errors import Conflict, InvalidInput, NotFound
from server.i18n import _
from server.models import Group, Membership, MembershipState, UserState, stored_id
from server.services import membership as members
from server.services import news
from server.services import remote_membership as service
from server.services.audit import audit
from server.services.groups import get_group
from server.services.users import find_user_by_login
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
    settings_of,
)
from server.web.runtime import web_runtime

INVITE_DAYS = 14


async def remote_member_action(request: Request) -> Response:
    """Approve or decline a request to join, remove a member, or change their role."""
    form = await read_form(request)
    action = form_text(form, "action")
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        member = await service.get(
            session, group, path_id(request, "member_id", _("No such member."))
        )
        if action in ("approve", "decline"):
            await members.require(session, group, user, "approve_members")
            kept = await service.decide(session, group, member, approve=action == "approve")
            if member.via == "join":
                await group_join.answer_join(
                    session,
                    uris,
                    group,
                    member,
                    accept=kept is not None,
                    why="" if kept else _("The moderators declined your request to join."),
                )
        elif action == "remove":
            await members.require(session, group, user, "moderate")
            await group_join.send_removal(session, uris, group, member)
            await service.remove(session, member)
        elif action == "role":
            await members.require(session, group, user, "manage_roles")
            await service.set_role(session, group, member, form_text(form, "role"))
            await group_join.send_role_update(session, uris, group, member)
        else:
            raise InvalidInput(_("Unknown action."))
        audit(session, user, f"member.{action}", member.actor_uri, f"group {group.slug}")
    flash(request, _("Done."), "success")
    return redirect(f"/groups/{group.slug}/members")


async def invite_submit(request: Request) -> Response:
    """Invite someone on another server by handle."""
    form = await read_form(request)
    handle = form_text(form, "handle").strip()
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        await members.require(session, group, user, "approve_members")
    if handle.count("@") < 1 or len(handle) > 300:
        raise InvalidInput(_("Enter a handle like @alex@town.example."), field="handle")
    username, _at, domain = handle.lstrip("@").partition("@")
    if domain.lower() == settings_of(request).instance.domain.lower():
        return await _invite_local(request, username)
    try:
        person = await web_runtime(request).remote.actor_by_handle(handle)
    except RemoteError as exc:
        raise InvalidInput(
            _("We couldn't find %(handle)s: %(error)s") % {"handle": handle, "error": exc},
            field="handle",
        ) from exc
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        member = await service.invite(session, group, person.uri)
        await group_join.send_invitation(session, uris, group, person)
        if member.state == MembershipState.ACTIVE and member.via == "join":
            await session.flush()
            await group_join.answer_join(session, uris, group, member, accept=True)
    flash(request, _("Invitation sent to %(handle)s.") % {"handle": person.handle}, "success")
    return redirect(f"/groups/{group.slug}/members")


async def _invite_local(request: Request, username: str) -> Response:
    """Someone with an account here: a notification (and email) with the invitation link."""
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        invitee = await find_user_by_login(session, username)
        if invitee is None or invitee.state != UserState.ACTIVE:
            raise InvalidInput(
                _("Nobody here is called @%(username)s.") % {"username": username}, field="handle"
            )
        if await members.get_membership(session, group, invitee) is not None:
            raise Conflict(
                _("@%(username)s is already a member or asked to join.")
                % {"username": invitee.username}
            )
        link = invite_link(request, group).removeprefix(settings_of(request).base_url)
        await news.invited(session, settings_of(request), group, user, invitee, link)
    flash(
        request, _("Invitation sent to @%(username)s.") % {"username": invitee.username}, "success"
    )
    return redirect(f"/groups/{group.slug}/members")


def _invite_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web_runtime(request).secret_key, salt="hearth group invite")


def invite_link(request: Request, group: Group) -> str:
    """A link that lets local people join this group, even if it is invite-only."""
    token = _invite_signer(request).dumps(group.id)
    return f"{settings_of(request).base_url}/groups/{group.slug}/invitation/{token}"


async def _invited_group(request: Request, session: AsyncSession) -> Group:
    group = await get_group(session, request.path_params["slug"])
    try:
        group_id = _invite_signer(request).loads(
            str(request.path_params["token"]), max_age=INVITE_DAYS * 86400
        )
    except BadSignature as bad:
        raise NotFound(_("This invitation link is not valid (or is too old).")) from bad
    if group_id != group.id:
        raise NotFound(_("This invitation link is not valid (or is too old)."))
    return group


async def invitation_page(request: Request) -> Response:
    """What the invitation is for, with a Join button."""
    async with db(request) as session:
        group = await _invited_group(request, session)
        return await render(request, session, "invitation.html", {"group": group})


async def invitation_submit(request: Request) -> Response:
    """Join through the invitation (signed-in people only)."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        group = await _invited_group(request, session)
        if await members.get_membership(session, group, user) is not None:
            raise Conflict(_("You are already a member of this group or waiting for approval."))
        session.add(
            Membership(
                group_id=stored_id(group),
                user_id=stored_id(user),
                role="member",
                state=MembershipState.ACTIVE,
            )
        )
    flash(request, _("You are now a member of %(group)s.") % {"group": group.name}, "success")
    return redirect(f"/groups/{group.slug}")


routes = [
    Route("/groups/{slug}/remote-members/{member_id}", remote_member_action, methods=["POST"]),
    Route("/groups/{slug}/invite", invite_submit, methods=["POST"]),
    Route("/groups/{slug}/invitation/{token}", invitation_page, methods=["GET"]),
    Route("/groups/{slug}/invitation/{token}", invitation_submit, methods=["POST"]),
]
