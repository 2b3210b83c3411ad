"""A sample Event and the peers' fixtures, shared by the event vocabulary tests."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from federation.events import EventFields, Place, build_event
from federation.jsonld import AS_PUBLIC, JsonObject

FIXTURES = Path(__file__).parent / "fixtures"
PARIS = ZoneInfo("Europe/Paris")
GROUP = "https://town.example/groups/club"
EVENT_ID = "https://town.example/events/7"

FIELDS = EventFields(
    id=EVENT_ID,
    url="https://town.example/e/7",
    name="Repair café",
    content_html="<p>Bring what is broken.</p>",
    attributed_to=GROUP,
    start=datetime(2025, 5, 3, 14, tzinfo=PARIS),
    end=datetime(2025, 5, 3, 17, tzinfo=PARIS),
    timezone="Europe/Paris",
    all_day=False,
    location=Place(
        name="Community hall",
        street="12 Main St",
        postal_code="69001",
        locality="Lyon",
        region=None,
        country="France",
        latitude=45.7,
        longitude=4.8,
    ),
    online_url="https://meet.example/repair",
    join_mode="restricted",
    capacity=20,
    participant_count=13,
    status="CONFIRMED",
    comments_enabled=True,
    tags=["repair", "#bikes", "repair"],
    tag_url_prefix="https://town.example/tags/",
    image_url="https://town.example/media/cover.jpg",
    image_alt="Tools on a table",
    published=datetime(2025, 4, 1, 10, tzinfo=UTC),
    updated=datetime(2025, 4, 2, 8, 30, tzinfo=UTC),
    to=[AS_PUBLIC],
    cc=[f"{GROUP}/followers"],
    category="MEETING",
)


def event(**changes: Any) -> JsonObject:
    return build_event(dataclasses.replace(FIELDS, **changes))


def activity(name: str) -> tuple[JsonObject, str]:
    """A fixture's Event object and the actor that sent it."""
    document = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return document["object"], document["actor"]
