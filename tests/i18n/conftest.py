"""The meetup helpers of tests/events (an organizer with a group ``club``)."""

from tests.events.conftest import organizer

__all__ = ["organizer"]
