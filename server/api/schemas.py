"""The API's response schemas that have no pydantic model, written as JSON Schema (request
bodies are the pydantic models next to each endpoint). The routes' :class:`~server.api.spec.Doc`
declarations refer to them."""

from __future__ import annotations

from typing import Any

from server.api.spec import Named, listing, obj
from server.models import EVENT_STATUSES, OUTCOMES, RSVP_STATUSES

JsonObject = dict[str, Any]
INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
ARRAY = {"type": "array"}
WHEN = {"type": "string", "format": "date-time"}
STRINGS = {"type": "array", "items": STR}
COUNTS = {"type": "object", "additionalProperties": INT}


def nullable(kind: str, **more: Any) -> JsonObject:
    """A value of JSON type ``kind``, or null."""
    return {"type": [kind, "null"], **more}


def text(description: str, kind: JsonObject = STR) -> JsonObject:
    """``kind`` with a description."""
    return {**kind, "description": description}


STATUS = {"enum": list(RSVP_STATUSES)}

EVENT = Named(
    "Event",
    obj(
        id=INT,
        url=STR,
        group=STR,
        title=STR,
        description=STR,
        description_html=STR,
        start=text("UTC", WHEN),
        end=text("UTC", WHEN),
        timezone=STR,
        when=text("local, for people"),
        all_day=BOOL,
        status={"enum": list(EVENT_STATUSES)},
        venue_name=STR,
        street=STR,
        postal_code=STR,
        locality=STR,
        country=STR,
        latitude=nullable("number"),
        longitude=nullable("number"),
        online_url=STR,
        capacity=nullable("integer"),
        join_mode=STR,
        external_url=STR,
        visibility=STR,
        remind_minutes=text("0: no reminder", INT),
        series_id=nullable("integer"),
        sequence=INT,
        tags=STRINGS,
    ),
)
PROPOSAL = Named(
    "Proposal",
    obj(
        id=INT,
        group=STR,
        title=STR,
        body=STR,
        body_html=STR,
        options=STRINGS,
        method={"enum": ["majority", "consent", "poll"]},
        eligibility={"enum": ["members", "checked_in"]},
        visibility={"enum": ["members", "public"]},
        secret=BOOL,
        quorum=INT,
        opens_at=WHEN,
        closes_at=WHEN,
        open=BOOL,
        counts=COUNTS,
        eligible=INT,
        outcome={"enum": [*OUTCOMES, None]},
        result=nullable("object"),
    ),
)
RSVPS = obj(
    counts=COUNTS,
    seats_left=nullable("integer"),
    mine={"enum": [*RSVP_STATUSES, None]},
    items={
        "type": "array",
        "description": "Organizers: everyone with handle; members: names; others: none",
        "items": obj(id=INT, name=STR, handle=STR, status=STATUS, via=STR, answered_at=STR),
    },
)
ANSWERED = obj(status=STATUS, waitlist_position=nullable("integer"), message=STR)
MEMBERS = listing(obj(handle=STR, name=STR, role=STR, remote=BOOL))
MEETUP_ROLES = Named(
    "MeetupRoles",
    listing(
        obj(
            role_id=INT,
            name=STR,
            taken=BOOL,
            holder=nullable("string", description="@username (shown to the group's members only)"),
            suggested=text("your turn? (organizers only; empty otherwise)", STRINGS),
        )
    ),
)
AGENDA = Named(
    "Agenda",
    listing(
        obj(
            id=INT,
            title=STR,
            note=STR,
            presenter=STR,
            minutes=INT,
            starts_at=WHEN,
            proposal_id=nullable("integer"),
        ),
        "total_minutes",
        "length_minutes",
        "over_minutes",
        created=text("the new item's id (on POST)", INT),
    ),
)
MINUTES = Named(
    "Minutes",
    obj(
        event=INT,
        title=STR,
        summary=STR,
        body=text("Markdown"),
        body_html=STR,
        visibility={"type": "string", "enum": ["members", "public"]},
        published_at=nullable("string", format="date-time"),
        updated_at=WHEN,
    ),
)
ARCHIVE: JsonObject = {
    **obj(
        format={"const": "hearth-group-archive"},
        version={"const": 1},
        source={"type": "object"},
        group={"type": "object"},
        **dict.fromkeys(("members", "followers", "meetups", "posts", "proposals"), ARRAY),
    ),
    "required": ["format", "version", "source", "group"],
    "description": "A group archive, format hearth-group-archive version 1 (docs/group-archive.md)",
}
MOVED = obj(slug=STR, moved_to=STR)
