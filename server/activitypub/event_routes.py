"""``GET /events/{id}`` for servers: the Event object (behind signed fetch when required)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.activitypub.event_documents import event_document
from server.activitypub.routes import activity_response, check_signed_fetch
from server.activitypub.uris import LocalUris
from server.db import transaction
from server.errors import NotFound
from server.models import Group
from server.services.events import get_event
from server.web.common import path_id, settings_of


async def event_object(request: Request) -> Response:
    """A public or unlisted meetup as an ActivityStreams Event."""
    if refused := await check_signed_fetch(request):
        return refused
    event_id = path_id(request, "event_id", "No such meetup.")
    async with transaction(request.app.state.sessions) as session:
        event = await get_event(session, event_id)
        group = await session.get(Group, event.group_id)
        if group is None or event.visibility == "members":
            raise NotFound("No such meetup.")
        document = await event_document(session, LocalUris(settings_of(request)), group, event)
    return activity_response(document)
