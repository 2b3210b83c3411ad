"""The limits of what people fill in for groups, meetups, posts and proposals, declared once:
the services check them, the web forms carry them (``maxlength``, ``min``, ``max``; templates
read them as the ``limits`` global), and the API's pydantic models state them, so the OpenAPI
document does too. A base module: every layer may import it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic_core import PydanticUndefined


@dataclass(frozen=True)
class Length:
    """A text's length in characters, from ``minimum`` to ``maximum``."""

    maximum: int
    minimum: int = 0

    def allows(self, text: str) -> bool:
        return self.minimum <= len(text) <= self.maximum

    @property
    def html(self) -> str:
        """The form attribute (a required field says ``required`` for the minimum of 1)."""
        return f'maxlength="{self.maximum}"'

    def field(self, default: Any = PydanticUndefined, **more: Any) -> Any:
        """A pydantic field with these bounds (no default: required)."""
        low = self.minimum or None
        return Field(default, min_length=low, max_length=self.maximum, **more)


@dataclass(frozen=True)
class Span:
    """A whole number from ``minimum`` to ``maximum`` (a count, a capacity, a quorum)."""

    minimum: int
    maximum: int

    def allows(self, number: int) -> bool:
        return self.minimum <= number <= self.maximum

    @property
    def html(self) -> str:
        return f'min="{self.minimum}" max="{self.maximum}"'

    def field(self, default: Any = PydanticUndefined, **more: Any) -> Any:
        """A pydantic field for a number in this span."""
        return Field(default, ge=self.minimum, le=self.maximum, **more)

    def count(self, default: Any = PydanticUndefined, **more: Any) -> Any:
        """A pydantic field for a list with this many items."""
        low = self.minimum or None
        return Field(default, min_length=low, max_length=self.maximum, **more)


# Meetups
EVENT_TITLE = Length(200, 1)
EVENT_DESCRIPTION = Length(10_000)
VENUE_NAME = Length(200)
STREET = Length(200)
POSTAL_CODE = Length(20)
LOCALITY = Length(100)
COUNTRY = Length(100)
LINK = Length(2048)
TIMEZONE = Length(64, 1)
CAPACITY = Span(1, 100_000)
EVENT_TAGS = Span(0, 10)
#: A series repeats every 1 to 12 weeks or months, 1 to 104 times.
REPEAT_INTERVAL = Span(1, 12)
REPEAT_COUNT = Span(1, 104)

# Groups
GROUP_NAME = Length(100, 1)
#: A group's handle (``server.services.names.NAME_RE`` is the full rule).
GROUP_SLUG = Length(30, 1)
GROUP_SUMMARY = Length(5000)
GROUP_LOCATION = Length(200)
GROUP_TAGS = Span(0, 10)

# Places (groups and meetups)
LATITUDE = Span(-90, 90)
LONGITUDE = Span(-180, 180)

# Posts
POST = Length(5000, 1)

# Proposals
PROPOSAL_TITLE = Length(200, 1)
PROPOSAL_BODY = Length(20_000)
PROPOSAL_OPTIONS = Span(2, 10)
#: An option as written in a proposal (longer ones are cut), and as named in a vote.
OPTION = Length(100, 1)
VOTE_OPTION = Length(200, 1)
QUORUM_COUNT = Span(1, 100_000)
QUORUM_PERCENT = Span(1, 100)
