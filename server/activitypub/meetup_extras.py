"""The federation side's part in the meetup use cases (:class:`server.services.meetup_actions.
MeetupExtras`): the mentions and hashtags of a description, looked up before anything is
written and rendered into the meetups, and the federated minutes of a deleted meetup."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from server.activitypub.mentions import Entities, describe_events, entities_of
from server.activitypub.minutes_article import send_minutes_removal
from server.models import Event, Group
from server.uris import LocalUris


class MeetupFederation:
    """Mentions and minutes for a meetup action asked for by ``request``."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.entities: Entities | None = None

    async def look_up(self, description: str) -> None:
        """Resolve the accounts the description mentions (WebFinger, the domain policy)."""
        self.entities = await entities_of(self.request, description)

    async def complete(self, events: list[Event]) -> None:
        """Render each meetup's description with its mentions and hashtags."""
        assert self.entities is not None, "look_up comes first"
        describe_events(events, self.entities)

    async def removing(self, session: AsyncSession, group: Group, event: Event) -> None:
        """The meetup's federated minutes are deleted with it."""
        uris = LocalUris(self.request.app.state.settings)
        await send_minutes_removal(session, uris, group, event)
