"""Meetup check-in pages: the organizer's rotating QR code, checking in by scanning it (logged
in, or with a one-time code sent to one's fediverse handle), and attendance for organizers."""

from __future__ import annotations

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.remote import RemoteError
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.i18n import _
from server.models import Event, Group, User
from server.services import checkin as service
from server.services import membership as members
from server.services.events import get_event
from server.services.groups import get_group
from server.services.notices import direct_message
from server.services.rsvp import Attendee
from server.uris import LocalUris
from server.web.common import (
    current_user,
    db,
    form_text,
    path_id,
    read_form,
    render,
    require_user,
    settings_of,
)
from server.web.feeds import qr_svg
from server.web.runtime import web_runtime


def _event_id(request: Request) -> int:
    return path_id(request, "event_id", _("No such meetup."))


async def _event_and_group(request: Request, session: AsyncSession) -> tuple[Event, Group]:
    event = await get_event(session, _event_id(request))
    group = await session.get(Group, event.group_id)
    if group is None:
        raise NotFound(_("No such meetup."))
    return event, group


async def _is_organizer(session: AsyncSession, group: Group, user: User | None) -> bool:
    return members.may(user, await members.get_membership(session, group, user), "moderate")


def _secret(request: Request) -> str:
    return web_runtime(request).secret_key


#: How often the organizer's page fetches the QR code again (codes change every minute).
QR_REFRESH_SECONDS = 20


def _qr(request: Request, event: Event) -> Markup:
    url = f"{settings_of(request).base_url}/events/{event.id}/check-in?code="
    return qr_svg(url + service.current_code(_secret(request), event))


async def check_in_page(request: Request) -> Response:
    """Organizers: the QR code to show. Everyone else (arriving from the QR): check in."""
    code = request.query_params.get("code", "")
    async with db(request) as session:
        event, group = await _event_and_group(request, session)
        user = await current_user(request, session)
        context: dict[str, object] = {"event": event, "group": group, "code": code}
        if not code:
            if not await _is_organizer(session, group, user):
                raise Forbidden(_("Scan the code shown at the meetup to check in."))
            context["is_on"] = service.is_on(event)
            context["refresh_seconds"] = QR_REFRESH_SECONDS
            if service.is_on(event):
                context["qr"] = _qr(request, event)
            return await render(request, session, "checkin_show.html", context, user=user)
        service.check_code(_secret(request), event, code)
        if user is not None:
            context["done"] = await service.find_check_in(session, event, Attendee.local(user))
        return await render(request, session, "checkin.html", context, user=user)


async def check_in_qr(request: Request) -> Response:
    """Organizers: the current QR code alone (SVG), fetched by the check-in page as it
    changes; 409 once check-in has closed."""
    async with db(request) as session:
        event, group = await _event_and_group(request, session)
        if not await _is_organizer(session, group, await current_user(request, session)):
            raise Forbidden(_("Only the meetup's organizers can show its check-in code."))
    if not service.is_on(event):
        raise Conflict(_("Check-in is closed for this meetup."))
    return Response(
        str(_qr(request, event)),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )


async def check_in_submit(request: Request) -> Response:
    """A logged-in person checks in with the code they scanned."""
    form = await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        event, group = await _event_and_group(request, session)
        code = form_text(form, "code")
        await service.check_in_with_code(
            session, _secret(request), event, Attendee.local(user), code
        )
        context = {"event": event, "group": group, "done": True}
        return await render(request, session, "checkin.html", context, user=user)


async def remote_start(request: Request) -> Response:
    """Someone from another server gives their handle; the group sends them a one-time code."""
    form = await read_form(request)
    settings = settings_of(request)
    handle = form_text(form, "handle").strip()
    async with db(request) as session:
        event, group = await _event_and_group(request, session)
        service.check_code(_secret(request), event, form_text(form, "code"))
    try:
        actor = await web_runtime(request).remote.actor_by_handle(handle.lstrip("@"))
    except (RemoteError, ValueError) as exc:
        raise InvalidInput(
            _("Could not find %(handle)s: %(error)s")
            % {"handle": repr(handle[:100]), "error": exc},
            field="handle",
        ) from None
    async with db(request) as session:
        event, group = await _event_and_group(request, session)
        if await service.too_many_attempts(session, event, actor.uri):
            raise Forbidden(_("Too many wrong codes: ask an organizer to check you in."))
        one_time = await service.new_one_time_code(session, event, actor.uri)
        text = _("Your check-in code for “%(title)s” is %(code)s (valid 15 minutes).") % {
            "title": event.title,
            "code": one_time,
        }
        await direct_message(session, LocalUris(settings), group, actor, text)
        context = {"event": event, "group": group, "actor": actor, "sent": True}
        response = await render(request, session, "checkin.html", context)
    return response


async def remote_confirm(request: Request) -> Response:
    """The one-time code from the direct message checks the person in."""
    form = await read_form(request)
    actor_uri = form_text(form, "actor")
    async with db(request) as session:
        event, group = await _event_and_group(request, session)
        if not service.is_on(event):
            raise Forbidden(
                _("Check-in is open only from 30 minutes before the meetup to 30 after.")
            )
        if await service.too_many_attempts(session, event, actor_uri):
            raise Forbidden(_("Too many wrong codes: ask an organizer to check you in."))
        await service.redeem_one_time_code(session, event, actor_uri, form_text(form, "otc"))
        await service.check_in(session, event, Attendee.remote(actor_uri))
    async with db(request) as session:
        context = {"event": event, "group": group, "done": True}
        return await render(request, session, "checkin.html", context)


async def attendance_page(request: Request) -> Response:
    """Organizers: who checked in at this meetup."""
    async with db(request) as session:
        event, group = await _event_and_group(request, session)
        user = await require_user(request, session)
        if not await _is_organizer(session, group, user):
            raise Forbidden(_("Only the group's organizers see attendance."))
        rows = await service.attendance(session, event)
        context = {"event": event, "group": group, "rows": rows}
        return await render(request, session, "attendance.html", context, user=user)


async def group_attendance(request: Request) -> Response:
    """Organizers: who came to the group's meetups, how often and when last."""
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        if not await _is_organizer(session, group, user):
            raise Forbidden(_("Only the group's organizers see attendance."))
        rows = await service.attendance_history(session, group.id or 0)
        return await render(
            request, session, "attendance_history.html", {"group": group, "rows": rows}, user=user
        )


routes = [
    Route("/events/{event_id}/check-in", check_in_page, methods=["GET"]),
    Route("/events/{event_id}/check-in/qr.svg", check_in_qr, methods=["GET"]),
    Route("/events/{event_id}/check-in", check_in_submit, methods=["POST"]),
    Route("/events/{event_id}/check-in/remote", remote_start, methods=["POST"]),
    Route("/events/{event_id}/check-in/confirm", remote_confirm, methods=["POST"]),
    Route("/events/{event_id}/attendance", attendance_page, methods=["GET"]),
    Route("/groups/{slug}/attendance", group_attendance, methods=["GET"]),
]
