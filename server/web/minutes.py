"""Meetup minutes in the web UI: write them (prefilled), publish, edit (followers get an
``Update``), read them, and the group's minutes archive with its Markdown export."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from server.activitypub.minutes_article import article_document
from server.activitypub.routes import (
    activity_response,
    check_signed_fetch,
    verified_signer,
    wants_activity_json,
)
from server.errors import HearthError, NotFound
from server.i18n import _
from server.models import Event, Group, Minutes
from server.services import meetup_roles
from server.services import membership as members
from server.services import minutes as service
from server.services.groups import get_group
from server.services.rsvp import Attendee, is_member
from server.uris import LocalUris
from server.web.common import (
    current_user,
    db,
    flash,
    form_text,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)
from server.web.events import visible_event


async def _article(
    request: Request, session: AsyncSession, group: Group, event: Event, minutes: Minutes | None
) -> Response:
    """The minutes as an ``Article``: public ones to anyone (as other objects), members-only
    ones to a signed fetch by a member."""
    if minutes is None or minutes.published_at is None:
        raise NotFound(_("No minutes for this meetup."))
    if minutes.visibility == "public":
        if refused := await check_signed_fetch(request):
            return refused
    else:
        signer = await verified_signer(request)
        if signer is None or not await is_member(session, group.id or 0, Attendee.remote(signer)):
            raise NotFound(_("No minutes for this meetup."))
    uris = LocalUris(settings_of(request))
    return activity_response(await article_document(session, uris, group, event, minutes))


async def minutes_page(request: Request) -> Response:
    """The published minutes of a meetup (or its Article for servers asking for it)."""
    async with db(request) as session:
        event, group, user, _ignored = await visible_event(request, session)
        minutes = await service.get_minutes(session, event)
        if wants_activity_json(request):
            return await _article(request, session, group, event, minutes)
        may_write = await service.may_write(session, group, event, user)
        if minutes is None or not (
            await service.may_read(session, group, minutes, user) or may_write
        ):
            raise NotFound(_("No minutes for this meetup yet."))
        context = {"group": group, "event": event, "minutes": minutes, "may_write": may_write}
        return await render(request, session, "minutes.html", context, user=user)


async def _form_context(
    session: AsyncSession, group: Group, event: Event, minutes: Minutes | None
) -> dict[str, Any]:
    settings = await meetup_roles.practice_settings(session, group)
    form = {
        "title": minutes.title if minutes else _("Minutes: %(title)s") % {"title": event.title},
        "summary": minutes.summary if minutes else "",
        "body": minutes.body_md if minutes else await service.prefill(session, group, event),
    }
    visibility = "members" if event.visibility == "members" else settings.minutes_visibility
    return {
        "group": group,
        "event": event,
        "minutes": minutes,
        "form": form,
        "visibility": minutes.visibility if minutes and minutes.published_at else visibility,
    }


async def edit_minutes(request: Request) -> Response:
    """The minutes form (the note-taker and organizers) and its submission."""
    error: HearthError | None = None
    data = await read_form(request) if request.method == "POST" else None
    async with db(request) as session:
        user = await require_user(request, session)
        event, group, _user, _membership = await visible_event(request, session)
        minutes = await service.get_minutes(session, event)
        if not await service.may_write(session, group, event, user):
            raise NotFound(_("Only the note-taker and the organizers write the minutes."))
        context = await _form_context(session, group, event, minutes)
        if data is not None:
            fields = {key: form_text(data, key) for key in ("title", "summary", "body")}
            publish = form_text(data, "action") == "publish"
            try:
                saved, was_published = await service.save(
                    session, settings_of(request), group, event, user, **fields, publish=publish
                )
            except HearthError as exc:
                if exc.status == 404:
                    raise
                error = exc
                context["form"] = fields
            else:
                flash(request, _saved_message(saved, was_published), "success")
                return redirect(f"/events/{event.id}/minutes")
        return await render(
            request,
            session,
            "minutes_form.html",
            {**context, "error": error},
            status=error.status if error else 200,
            user=user,
        )


def _saved_message(minutes: Minutes, was_published: bool) -> str:
    if minutes.published_at is None:
        return _("Draft saved: only the note-taker and the organizers see it.")
    if minutes.visibility == "public":
        return (
            _("Minutes updated for everyone.")
            if was_published
            else _("Minutes published to everyone.")
        )
    if was_published:
        return _("Minutes updated for the group's members.")
    return _("Minutes published to the group's members.")


async def archive_page(request: Request) -> Response:
    """The group's published minutes, newest first (or all of them as Markdown)."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user = await current_user(request, session)
        entries = await service.archive(session, group, user)
        if request.url.path.endswith(".md"):
            return PlainTextResponse(
                service.archive_markdown(group, entries),
                media_type="text/markdown; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{group.slug}-minutes.md"'},
            )
        membership = await members.get_membership(session, group, user)
        settings = await meetup_roles.practice_settings(session, group)
        context = {
            "group": group,
            "entries": entries,
            "can_edit": members.may(user, membership, "moderate"),
            "visibility": settings.minutes_visibility,
        }
        return await render(request, session, "minutes_archive.html", context, user=user)


async def archive_settings(request: Request) -> Response:
    """Organizers choose who reads the group's minutes from now on."""
    form = await read_form(request)
    slug = request.path_params["slug"]
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, slug)
        await service.set_visibility(session, group, user, form_text(form, "visibility"))
    flash(request, _("Saved: new minutes are published that way."), "success")
    return redirect(f"/groups/{slug}/minutes")


routes = [
    Route("/events/{event_id}/minutes", minutes_page, methods=["GET"]),
    Route("/events/{event_id}/minutes/edit", edit_minutes, methods=["GET", "POST"]),
    Route("/groups/{slug}/minutes", archive_page, methods=["GET"]),
    Route("/groups/{slug}/minutes.md", archive_page, methods=["GET"]),
    Route("/groups/{slug}/minutes/settings", archive_settings, methods=["POST"]),
]
