"""Fixtures shared with the meetup tests: a signed-in organizer of the group ``club``."""

from __future__ import annotations

from tests.events.conftest import organizer  # noqa: F401
