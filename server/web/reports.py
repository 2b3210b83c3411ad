"""Reporting (the *Report* link on posts of other servers), the admins' report queue, and
admins suspending groups."""

from __future__ import annotations

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.local import instance_actor
from server.db import utcnow
from server.errors import InvalidInput
from server.i18n import _
from server.models import Group
from server.services import federation_admin, news, reports
from server.services.audit import audit
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
    require_admin,
    require_user,
    settings_of,
)
from server.web.runtime import web_runtime


async def report_page(request: Request) -> Response:
    """The report form for an account (and one of its posts)."""
    params = request.query_params
    async with db(request) as session:
        user = await require_user(request, session)
        context = {
            "actor": params.get("actor", "")[:2048],
            "object": params.get("object", "")[:2048],
        }
        return await render(request, session, "report.html", context, user=user)


async def report_submit(request: Request) -> Response:
    """File a report for the admins."""
    form = await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        report = await reports.report_by_user(
            session,
            user,
            form_text(form, "actor"),
            form_text(form, "object"),
            form_text(form, "reason"),
        )
        about = await news.actor_label(session, report.target_actor_uri)
        await news.report_filed(session, settings_of(request), about)
    flash(request, _("Thank you: the admins will look at your report."), "success")
    return redirect("/")


async def reports_page(request: Request) -> Response:
    """Open reports."""
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_admin(request, session)
        context = {"reports": await reports.open_reports(session, uris)}
        return await render(request, session, "admin/reports.html", context, user=user)


async def report_action(request: Request) -> Response:
    """Resolve a report, forward it to the account's server, or block the account."""
    form = await read_form(request)
    uris = LocalUris(settings_of(request))
    action = form_text(form, "action")
    async with db(request) as session:
        admin = await require_admin(request, session)
        report = await reports.get_report(
            session, path_id(request, "report_id", _("No such report."))
        )
        if action == "resolve":
            reports.resolve(session, admin, report)
            message = _("Report closed.")
        elif action == "forward":
            flag_actor = (await instance_actor(session, uris)).uri
            message = await reports.forward(session, uris, admin, report, flag_actor)
        elif action == "block":
            message = await federation_admin.block_actor(
                session, web_runtime(request).policy, admin, report.target_actor_uri, report.reason
            )
            reports.resolve(session, admin, report)
        else:
            raise InvalidInput(_("Unknown action."))
    flash(request, message, "success")
    return redirect("/admin/reports")


async def groups_page(request: Request) -> Response:
    """Every group, to suspend or reactivate."""
    async with db(request) as session:
        user = await require_admin(request, session)
        groups = (await session.exec(select(Group).order_by(col(Group.slug)))).all()
        return await render(request, session, "admin/groups.html", {"groups": groups}, user=user)


async def group_action(request: Request) -> Response:
    """Suspend a group (hidden, nothing federates) or reactivate it."""
    form = await read_form(request)
    action = form_text(form, "action")
    async with db(request) as session:
        admin = await require_admin(request, session)
        group = await get_group(session, request.path_params["slug"])
        if action not in ("suspend", "reactivate"):
            raise InvalidInput(_("Unknown action."))
        group.suspended_at = utcnow() if action == "suspend" else None
        session.add(group)
        web_runtime(request).inbox_recipients.clear()
        audit(session, admin, f"group.{action}", group.slug, form_text(form, "note"))
    suspended, reactivated = _("%(group)s is suspended."), _("%(group)s is active again.")
    flash(
        request,
        (suspended if action == "suspend" else reactivated) % {"group": group.name},
        "success",
    )
    return redirect("/admin/groups")


routes = [
    Route("/report", report_page, methods=["GET"]),
    Route("/report", report_submit, methods=["POST"]),
    Route("/admin/reports", reports_page, methods=["GET"]),
    Route("/admin/reports/{report_id}", report_action, methods=["POST"]),
    Route("/admin/groups", groups_page, methods=["GET"]),
    Route("/admin/groups/{slug}", group_action, methods=["POST"]),
]
