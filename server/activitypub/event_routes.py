"""``GET /events/{id}`` for servers: the Event object (behind signed fetch when required)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import activities as vocab
from server.activitypub.event_documents import event_document
from server.activitypub.event_poll import poll_document, takes_poll_answers
from server.activitypub.routes import (
    activity_response,
    check_signed_fetch,
    verified_signer,
    wants_activity_json,
)
from server.activitypub.runtime import runtime
from server.db import transaction
from server.errors import NotFound
from server.i18n import _
from server.models import Event, Group
from server.request_scope import path_id, settings_of
from server.services import remote_membership
from server.services.events import get_event
from server.uris import LocalUris


async def _federated_event(
    request: Request, session: AsyncSession
) -> tuple[Event, Group] | Response:
    """The meetup, if the requesting server may read it: members-only ones need a signed
    fetch by a member of the group (404 otherwise), the others a signed fetch when the
    instance requires one (the refusal is returned)."""
    event = await get_event(session, path_id(request, "event_id", _("No such meetup.")))
    group = await session.get(Group, event.group_id)
    if group is None:
        raise NotFound(_("No such meetup."))
    if event.visibility == "members":
        signer = await verified_signer(request)
        if signer is None or not await remote_membership.is_active_member(session, group, signer):
            raise NotFound(_("No such meetup."))
    elif refused := await check_signed_fetch(request):
        return refused
    return event, group


async def event_object(request: Request) -> Response:
    """A meetup as an ActivityStreams Event (members-only: to members' servers only)."""
    async with transaction(runtime(request).sessions) as session:
        found = await _federated_event(request, session)
        if isinstance(found, Response):
            return found
        event, group = found
        document = await event_document(session, LocalUris(settings_of(request)), group, event)
    return activity_response(document)


async def event_poll_object(request: Request) -> Response:
    """The meetup's RSVP poll as a ``Question``; people are sent to the meetup's page."""
    if not wants_activity_json(request):
        return RedirectResponse(f"/events/{request.path_params['event_id']}", status_code=303)
    uris = LocalUris(settings_of(request))
    async with transaction(runtime(request).sessions) as session:
        found = await _federated_event(request, session)
        if isinstance(found, Response):
            return found
        event, group = found
        if not takes_poll_answers(event):
            raise NotFound(_("This meetup has no RSVP poll."))
        document = await event_document(session, uris, group, event)
        poll = await poll_document(session, uris, group, event, document["to"], document["cc"])
    poll["@context"] = vocab.ld_context()
    return activity_response(poll)
