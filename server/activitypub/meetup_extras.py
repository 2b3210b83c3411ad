"""The federation side's part in the meetup use cases (:class:`server.services.meetup_actions.
MeetupExtras`): the mentions and hashtags of a description, looked up before anything is
written and rendered into the meetups."""

from __future__ import annotations

from starlette.requests import Request

from server.activitypub.mentions import Entities, describe_events, entities_of
from server.models import Event


class MeetupFederation:
    """The mentions of a meetup's description, for an action asked for by ``request``."""

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
