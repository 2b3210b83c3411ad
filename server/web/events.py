"""Meetup pages: create/edit/cancel forms, the event page, group and instance calendars."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.event_poll import poll_uri
from server.activitypub.event_routes import event_object, event_poll_object
from server.activitypub.group_collections import events_collection
from server.activitypub.meetup_extras import MeetupFederation
from server.activitypub.routes import wants_activity_json
from server.errors import HearthError
from server.i18n import _, ngettext
from server.models import Event, Group, User
from server.services import attendees, conversations, meetup_actions
from server.services import membership as members
from server.services.calendar import EventQuery, following_calendar, group_calendar, upcoming_events
from server.services.calendar_feed import feed_path
from server.services.calendar_import import import_source
from server.services.events import EventFields, event_tags, series_rule
from server.services.groups import get_group
from server.services.meetup_lists import entries_of
from server.services.reactions import reactions_of
from server.services.timezones import common_timezones
from server.uploads import remove_image, save_image, upload_body_limit
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
from server.web.event_forms import fields_from_form, form_values, values_of
from server.web.practice import practice_context
from server.web.runtime import web_runtime


def event_id_of(request: Request) -> int:
    """The meetup id in the path (a 404 when it cannot be one)."""
    return path_id(request, "event_id", _("No such meetup."))


async def visible_event(
    request: Request, session: AsyncSession
) -> tuple[Event, Group, User | None, Any]:
    """The event, its group, the viewer and their membership; members-only needs a member."""
    user = await current_user(request, session)
    event, group, membership = await members.visible_event(session, event_id_of(request), user)
    return event, group, user, membership


def _form_context(
    request: Request, group: Group, event: Event | None, form: dict[str, str]
) -> dict[str, Any]:
    return {
        "group": group,
        "event": event,
        "form": form,
        "timezones": common_timezones(),
        "default_timezone": settings_of(request).instance.timezone,
    }


async def new_event_page(request: Request) -> Response:
    """The meetup form for a group's organizers."""
    async with db(request) as session:
        user = await require_user(request, session)
        group = await meetup_actions.organized_group(session, request.path_params["slug"], user)
        form = {
            "timezone": settings_of(request).instance.timezone,
            "start_time": "19:00",
            "end_time": "21:00",
        }
        return await render(
            request,
            session,
            "event_form.html",
            _form_context(request, group, None, form),
            user=user,
        )


async def _read_event_form(request: Request) -> FormData:
    limit = upload_body_limit(settings_of(request).uploads.max_bytes)
    return await read_form(request, max_part_size=limit, max_files=1)


async def _save_cover(request: Request, form: FormData) -> str | None:
    """The new cover's file name, "" to remove the cover, or None to leave it."""
    upload = form.get("cover")
    if isinstance(upload, UploadFile) and upload.filename:
        settings = settings_of(request)
        stored = await save_image(
            upload, settings.uploads_path, settings.uploads.max_bytes, field="cover"
        )
        return stored.name
    return "" if form_text(form, "remove_cover") == "on" else None


class _FormExtras(MeetupFederation):
    """A meetup form's part: the mentions, and the cover uploaded with it (saved once the
    meetup is valid; ``cover`` names it, to be removed if the change fails after all)."""

    def __init__(self, request: Request, form: FormData) -> None:
        super().__init__(request)
        self.form = form
        self.cover: str | None = None

    async def complete(self, events: list[Event]) -> None:
        await super().complete(events)
        self.cover = await _save_cover(self.request, self.form)
        if self.cover is not None:
            for event in events:
                event.cover = self.cover

    def discard_cover(self) -> None:
        if self.cover:
            remove_image(settings_of(self.request).uploads_path, self.cover)


async def new_event_submit(request: Request) -> Response:
    """Create the meetup (or series) and announce it to the group's followers."""
    form = await _read_event_form(request)
    try:
        return await _create_from_form(request, form)
    finally:
        await form.close()  # an uploaded cover is spooled to a temporary file


async def _create_from_form(request: Request, form: FormData) -> Response:
    slug = request.path_params["slug"]
    extras = _FormExtras(request, form)

    async def fields() -> EventFields:
        return fields_from_form(form)

    try:
        async with db(request) as session:
            user = await require_user(request, session)
            created = await meetup_actions.create(
                session, settings_of(request), slug, user, fields, extras
            )
    except HearthError as error:
        extras.discard_cover()
        if error.status not in (400, 409, 413):
            raise
        async with db(request) as session:
            group = await get_group(session, slug)
            context = {**_form_context(request, group, None, form_values(form)), "error": error}
            return await render(request, session, "event_form.html", context, status=error.status)
    count = len(created.events)
    flash(
        request,
        _("Meetup published.")
        if count == 1
        else ngettext(
            "Series published: %(count)s meetup.", "Series published: %(count)s meetups.", count
        )
        % {"count": count},
        "success",
    )
    return redirect(f"/events/{created.first.id}")


async def event_page(request: Request) -> Response:
    """A meetup's page (or its Event object for servers asking for ActivityStreams)."""
    if wants_activity_json(request):
        return await event_object(request)
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        event, group, user, membership = await visible_event(request, session)
        context = {
            "event": event,
            "group": group,
            "tags": await event_tags(session, event),
            "rule": await series_rule(session, event.series_id),
            "can_edit": members.may(user, membership, "post_as_group"),
            "reactions": await reactions_of(session, uris.event(event.id or 0)),
            "import_source": await import_source(session, event),
            **await attendees.page_context(session, event, user, membership),
            **await practice_context(session, group, event, user, membership),
            **await _discussion(request, session, event, group, user, membership),
        }
        return await render(request, session, "event.html", context, user=user)


async def _discussion(
    request: Request,
    session: AsyncSession,
    event: Event,
    group: Group,
    user: User | None,
    membership: Any,
) -> dict[str, Any]:
    """Replies from the fediverse to the meetup and to its RSVP poll, as its discussion."""
    uris = LocalUris(settings_of(request))
    event_uri = uris.event(event.id or 0)
    return {
        "discussion": await conversations.replies_to(
            session, group, event_uri, poll_uri(uris, event.id or 0)
        ),
        "can_moderate": members.may(user, membership, "moderate"),
        "next_url": f"/events/{event.id}#discussion",
    }


async def _editable(request: Request, session: AsyncSession) -> tuple[Event, Group, User]:
    user = await require_user(request, session)
    event, group = await meetup_actions.editable_meetup(session, event_id_of(request), user)
    return event, group, user


async def edit_event_page(request: Request) -> Response:
    """The meetup form, filled in."""
    async with db(request) as session:
        event, group, user = await _editable(request, session)
        form = values_of(event, await event_tags(session, event))
        return await render(
            request,
            session,
            "event_form.html",
            _form_context(request, group, event, form),
            user=user,
        )


async def edit_event_submit(request: Request) -> Response:
    """Save changes to this meetup or to the whole series; followers get an Update."""
    form = await _read_event_form(request)
    try:
        return await _edit_from_form(request, form)
    finally:
        await form.close()


async def _edit_from_form(request: Request, form: FormData) -> Response:
    extras = _FormExtras(request, form)

    async def fields(_current: EventFields) -> EventFields:
        return fields_from_form(form)

    try:
        async with db(request) as session:
            user = await require_user(request, session)
            meetup, series = event_id_of(request), form_text(form, "scope") == "series"
            changed = await meetup_actions.edit(
                session, settings_of(request), meetup, user, fields, extras, whole_series=series
            )
    except HearthError as error:
        extras.discard_cover()
        if error.status not in (400, 409, 413):
            raise
        async with db(request) as session:
            event, group, _user = await _editable(request, session)
            context = {**_form_context(request, group, event, form_values(form)), "error": error}
            return await render(request, session, "event_form.html", context, status=error.status)
    flash(
        request,
        _("Meetup updated.")
        if len(changed.events) == 1
        else ngettext(
            "%(count)s meetup updated.", "%(count)s meetups updated.", len(changed.events)
        )
        % {"count": len(changed.events)},
        "success",
    )
    return redirect(f"/events/{event_id_of(request)}")


async def cancel_submit(request: Request) -> Response:
    """Cancel a meetup: it stays listed as cancelled and followers' calendars are told."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        await meetup_actions.cancel(session, settings_of(request), event_id_of(request), user)
    flash(request, _("The meetup is cancelled. Followers have been told."))
    return redirect(f"/events/{event_id_of(request)}")


async def delete_submit(request: Request) -> Response:
    """Delete a meetup for good (followers get a Delete)."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        deleted = await meetup_actions.delete(
            session, settings_of(request), event_id_of(request), user
        )
    flash(request, _("The meetup was deleted."))
    return redirect(f"/groups/{deleted.group.slug}/events")


async def group_events_page(request: Request) -> Response:
    """A group's calendar: upcoming meetups, or past ones with ``?past=1`` (servers: the
    ``events`` collection Mobilizon reads)."""
    if wants_activity_json(request):
        return await events_collection(request)
    past = request.query_params.get("past") == "1"
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user = await current_user(request, session)
        membership = await members.get_membership(session, group, user)
        events = await group_calendar(
            session,
            group,
            past=past,
            include_members_only=members.may(user, membership, "see_members"),
        )
        zone = settings_of(request).instance.timezone
        context = {
            "group": group,
            "entries": await entries_of(session, [(event, group) for event in events], zone),
            "past": past,
            "can_post": members.may(user, membership, "post_as_group"),
        }
        return await render(request, session, "group_events.html", context, user=user)


async def upcoming_page(request: Request) -> Response:
    """Every public upcoming meetup on this instance, filterable by group, tag and dates."""
    query = EventQuery.from_params(request.query_params)
    async with db(request) as session:
        rows, total = await upcoming_events(session, query)
        entries = await entries_of(session, rows, settings_of(request).instance.timezone)
        context = {"rows": rows, "entries": entries, "total": total, "query": query}
        return await render(request, session, "events.html", context)


async def my_calendar(request: Request) -> Response:
    """Upcoming meetups of my groups and of the fediverse groups I follow."""
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await require_user(request, session)
        zone = settings_of(request).instance.timezone
        local, remote = await following_calendar(session, user, uris.user(user.username), zone)
        context = {
            "local": await entries_of(session, local, zone),
            "remote": remote,
            "feed_url": settings_of(request).base_url
            + feed_path(web_runtime(request).secret_key, user),
        }
        return await render(request, session, "my_calendar.html", context, user=user)


routes = [
    Route("/events", upcoming_page, methods=["GET"]),
    Route("/me/calendar", my_calendar, methods=["GET"]),
    Route("/groups/{slug}/events", group_events_page, methods=["GET"]),
    Route("/groups/{slug}/events/new", new_event_page, methods=["GET"]),
    Route("/groups/{slug}/events/new", new_event_submit, methods=["POST"]),
    Route("/events/{event_id}", event_page, methods=["GET"]),
    Route("/events/{event_id}/poll", event_poll_object, methods=["GET"]),
    Route("/events/{event_id}/edit", edit_event_page, methods=["GET"]),
    Route("/events/{event_id}/edit", edit_event_submit, methods=["POST"]),
    Route("/events/{event_id}/cancel", cancel_submit, methods=["POST"]),
    Route("/events/{event_id}/delete", delete_submit, methods=["POST"]),
]
