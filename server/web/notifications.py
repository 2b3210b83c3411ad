"""The notifications page (marked read when seen) and the choice of what is emailed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.i18n import _
from server.inputs import row_id
from server.services import notifications as notes
from server.web.common import db, flash, read_form, redirect, render, require_user


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before", "")
    return row_id(raw)


async def notifications_page(request: Request) -> Response:
    """The member's notifications, newest first; those shown are then marked read (the page
    still highlights them as new this once)."""
    async with db(request) as session:
        user = await require_user(request, session)
        items = await notes.list_notifications(
            session, user, before_id=_before(request), limit=notes.PAGE_SIZE + 1
        )
        more = len(items) > notes.PAGE_SIZE
        items = items[: notes.PAGE_SIZE]
        unread_ids = {item.id for item in items if item.read_at is None}
        await notes.mark_read(session, user, [i for i in unread_ids if i is not None])
        context = {
            "items": items,
            "new_ids": unread_ids,
            "older": items[-1].id if more and items else None,
            "paged": _before(request) is not None,
        }
        return await render(request, session, "notifications.html", context, user=user)


async def email_settings_page(request: Request) -> Response:
    """Which kinds of notifications are also sent by email."""
    async with db(request) as session:
        user = await require_user(request, session)
        choices = await notes.email_choices(session, user)
        categories = [
            category
            for category in notes.CATEGORIES
            if category.audience != "admins" or user.is_admin
        ]
        context = {"categories": categories, "choices": choices}
        return await render(request, session, "notification_settings.html", context, user=user)


async def email_settings_submit(request: Request) -> Response:
    """Save the member's email choices (a checked box: emailed)."""
    form = await read_form(request)
    chosen = {str(value) for value in form.getlist("email")}
    unknown = chosen - {category.key for category in notes.CATEGORIES}
    if unknown:
        flash(
            request,
            _("Unknown kind of notification: %(choices)s.")
            % {"choices": ", ".join(sorted(unknown))},
            "error",
        )
        return redirect("/me/notifications")
    async with db(request) as session:
        user = await require_user(request, session)
        await notes.set_email_choices(session, user, chosen)
    flash(request, _("Your email choices are saved."), "success")
    return redirect("/me/notifications")


routes = [
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/me/notifications", email_settings_page, methods=["GET"]),
    Route("/me/notifications", email_settings_submit, methods=["POST"]),
]
