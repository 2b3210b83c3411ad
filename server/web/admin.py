"""Admin pages: instance settings, users, pending sign-ups and invite links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import HearthError, InvalidInput
from server.i18n import _
from server.inputs import whole_number
from server.models import USER_STATES, UserState
from server.services.audit import audit, describe_changes
from server.services.credentials import create_invite, list_invites
from server.services.instance import EDITABLE, save_instance_info
from server.services.users import get_user, list_users, set_state
from server.web.common import (
    db,
    flash,
    form_text,
    read_form,
    redirect,
    render,
    require_admin,
    settings_of,
)

USER_ACTIONS = {
    "approve": UserState.ACTIVE,
    "reject": UserState.REJECTED,
    "suspend": UserState.SUSPENDED,
    "reactivate": UserState.ACTIVE,
}


async def settings_page(request: Request) -> Response:
    """Edit what the instance says about itself and how people sign up."""
    async with db(request) as session:
        user = await require_admin(request, session)
        return await render(request, session, "admin/settings.html", {"form": None}, user=user)


async def settings_submit(request: Request) -> Response:
    """Save instance settings; nothing is saved if any value is wrong."""
    form = await read_form(request)
    changes = {key: form_text(form, key) for key in EDITABLE if key in form}
    try:
        async with db(request) as session:
            admin = await require_admin(request, session)
            changed = await save_instance_info(session, settings_of(request), changes)
            if changed:
                audit(
                    session,
                    admin,
                    "instance.settings",
                    ", ".join(sorted(changed)),
                    describe_changes(changed),
                )
    except HearthError as error:
        async with db(request) as session:
            return await render(
                request,
                session,
                "admin/settings.html",
                {"form": changes, "error": error},
                status=error.status,
            )
    flash(request, _("Instance settings saved."), "success")
    return redirect("/admin")


async def users_page(request: Request) -> Response:
    """Every account, with its state; pending sign-ups can be filtered."""
    state = request.query_params.get("state") or None
    async with db(request) as session:
        user = await require_admin(request, session)
        users = await list_users(session, state=UserState(state) if state in USER_STATES else None)
        return await render(
            request, session, "admin/users.html", {"users": users, "state": state}, user=user
        )


async def user_action(request: Request) -> Response:
    """Approve, reject, suspend or reactivate an account."""
    form = await read_form(request)
    action = form_text(form, "action")
    async with db(request) as session:
        admin = await require_admin(request, session)
        target = await get_user(session, request.path_params["username"])
        if action not in USER_ACTIONS:
            raise InvalidInput(_("Unknown action."))
        if target.id == admin.id:
            raise InvalidInput(_("You cannot change your own account's state here."))
        await set_state(session, target, USER_ACTIONS[action])
        audit(session, admin, f"user.{action}", f"@{target.username}")
    done = {
        "approve": _("@%(username)s is approved."),
        "reject": _("@%(username)s is rejected."),
        "suspend": _("@%(username)s is suspended."),
        "reactivate": _("@%(username)s is active again."),
    }
    flash(request, done[action] % {"username": target.username}, "success")
    return redirect(
        form_text(form, "back") if form_text(form, "back").startswith("/admin") else "/admin/users"
    )


async def signups_page(request: Request) -> Response:
    """Sign-ups waiting for approval."""
    async with db(request) as session:
        user = await require_admin(request, session)
        pending = await list_users(session, state=UserState.PENDING)
        return await render(request, session, "admin/signups.html", {"pending": pending}, user=user)


async def invites_page(request: Request) -> Response:
    """Invite links that still work."""
    async with db(request) as session:
        user = await require_admin(request, session)
        invites = await list_invites(session)
        base = settings_of(request).base_url
        return await render(
            request,
            session,
            "admin/invites.html",
            {"invites": invites, "base_url": base},
            user=user,
        )


async def invite_submit(request: Request) -> Response:
    """Create an invite link."""
    form = await read_form(request)
    raw = form_text(form, "max_uses", "1")
    async with db(request) as session:
        admin = await require_admin(request, session)
        uses = whole_number(raw, 1, 10_000)
        if uses is None:
            raise InvalidInput(
                _("Enter how many people may use the link (1 to 10,000)."), field="max_uses"
            )
        await create_invite(session, admin, uses)
    flash(request, _("Invite link created."), "success")
    return redirect("/admin/invites")


routes = [
    Route("/admin", settings_page, methods=["GET"]),
    Route("/admin", settings_submit, methods=["POST"]),
    Route("/admin/users", users_page, methods=["GET"]),
    Route("/admin/users/{username}", user_action, methods=["POST"]),
    Route("/admin/signups", signups_page, methods=["GET"]),
    Route("/admin/invites", invites_page, methods=["GET"]),
    Route("/admin/invites", invite_submit, methods=["POST"]),
]
