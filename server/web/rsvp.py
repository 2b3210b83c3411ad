"""RSVP on the meetup page: Going / Maybe / Not going in one click (changeable), organizers
approving requests of restricted meetups, the attendee list as CSV, and each person's
private "my meetups" calendar feed (a secret link that can be reset)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import Forbidden
from server.i18n import _
from server.models import Event, Group, Participation, RsvpStatus, User
from server.services import attendees, rsvp_actions
from server.services import membership as members
from server.services.calendar_feed import feed_owner
from server.services.ics import build_calendar
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
from server.web.events import event_id_of, visible_event
from server.web.runtime import web_runtime

#: Answers people may still be coming with: they go into the private calendar feed.
IN_MY_CALENDAR = (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.WAITLISTED, RsvpStatus.PENDING)


async def rsvp_submit(request: Request) -> Response:
    """Record the signed-in person's answer and say where they stand."""
    form = await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        meetup, answer = event_id_of(request), form_text(form, "answer")
        answered = await rsvp_actions.answer(
            session, settings_of(request), meetup, user, answer, via="web"
        )
        message = answered.message
    flash(request, message, "success")
    return redirect(f"/events/{answered.event.id}#rsvp")


async def _organized_event(request: Request, session: AsyncSession) -> tuple[Event, User]:
    """The meetup and the signed-in person, who must be one of its group's organizers."""
    user = await require_user(request, session)
    event, _group, _user, membership = await visible_event(request, session)
    if not members.may(user, membership, "moderate"):
        raise Forbidden(_("Only the group's organizers can do that."))
    return event, user


async def decide_submit(request: Request) -> Response:
    """An organizer approves or turns down a request to attend a restricted meetup."""
    form = await read_form(request)
    participation_id = path_id(request, "participation_id", _("No such request to attend."))
    approve, note = form_text(form, "action") == "approve", form_text(form, "note")
    async with db(request) as session:
        event, user = await _organized_event(request, session)
        settings, meetup = settings_of(request), event.id or 0
        await rsvp_actions.decide(
            session, settings, meetup, participation_id, user, approve=approve, note=note
        )
    flash(request, _("Approved.") if approve else _("Turned down."), "success")
    return redirect(f"/events/{event.id}#attendees")


async def attendees_csv(request: Request) -> Response:
    """The attendee list as a CSV file, for the group's organizers."""
    async with db(request) as session:
        event, _ignored = await _organized_event(request, session)
        body = attendees.attendees_csv(await attendees.attendee_rows(session, event))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meetup-{event.id}-attendees.csv"'},
    )


# ------------------------------------------------------------- private calendar feed


async def my_meetups_ics(request: Request) -> Response:
    """The meetups a person answered (going, maybe, waiting), for their calendar app."""
    settings = settings_of(request)
    token = str(request.path_params["token"])
    async with db(request) as session:
        user = await feed_owner(session, web_runtime(request).secret_key, token)
        query = (
            select(Event, Group)
            .join(Participation, col(Participation.event_id) == col(Event.id))
            .join(Group, col(Group.id) == col(Event.group_id))
            .where(
                Participation.user_id == user.id,
                col(Participation.status).in_(IN_MY_CALENDAR),
            )
            .order_by(col(Event.starts_at))
            .limit(2000)
        )
        rows = [(event, group) for event, group in (await session.exec(query)).all()]
    body = build_calendar(
        _("My meetups · %(instance)s") % {"instance": settings.instance.name},
        rows,
        settings.base_url,
        settings.instance.domain,
    )
    return Response(body, media_type="text/calendar; charset=utf-8")


async def reset_feed_submit(request: Request) -> Response:
    """A new secret link for the calendar feed; the old one stops working."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        user.calendar_key_version += 1
        session.add(user)
    flash(request, _("Your calendar link was reset: the old link no longer works."), "success")
    return redirect("/me/calendar#feed")


routes = [
    Route("/events/{event_id}/rsvp", rsvp_submit, methods=["POST"]),
    Route("/events/{event_id}/participants/{participation_id}", decide_submit, methods=["POST"]),
    Route("/events/{event_id}/attendees.csv", attendees_csv, methods=["GET"]),
    Route("/calendar/{token}.ics", my_meetups_ics, methods=["GET"]),
    Route("/me/calendar/reset", reset_feed_submit, methods=["POST"]),
]
