"""The RSVP and members part of the OpenAPI document (see ``server.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.api.attendance import DecisionIn, RsvpIn

JsonObject = dict[str, Any]
MODELS = (RsvpIn, DecisionIn)
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PARTICIPATION_ID = {
    "name": "participation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
STATUS = {"enum": ["going", "maybe", "not_going", "waitlisted", "pending", "rejected"]}
_INT = {"type": "integer"}
_STR = {"type": "string"}

RSVPS: JsonObject = {
    "type": "object",
    "properties": {
        "counts": {"type": "object", "additionalProperties": _INT},
        "seats_left": {"type": ["integer", "null"]},
        "mine": {**STATUS, "enum": [*STATUS["enum"], None]},
        "items": {
            "type": "array",
            "description": "Organizers: everyone with handle; members: names; others: none",
            "items": {
                "type": "object",
                "properties": {"id": _INT, "name": _STR, "handle": _STR, "status": STATUS}
                | {"via": _STR, "answered_at": _STR},
            },
        },
    },
}
ANSWERED: JsonObject = {
    "type": "object",
    "properties": {
        "status": STATUS,
        "waitlist_position": {"type": ["integer", "null"]},
        "message": _STR,
    },
}
MEMBERS: JsonObject = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"handle": _STR, "name": _STR, "role": _STR}
                | {"remote": {"type": "boolean"}},
            },
        }
    },
}


def attendance_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the RSVP and members API."""

    def body(name: str) -> JsonObject:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    def operation(summary: str, operation_id: str, **fields: Any) -> JsonObject:
        return {"summary": summary, "operationId": operation_id, "security": SECURED, **fields}

    decided = {"type": "object", "properties": {"id": _INT, "status": STATUS}}
    joined = {"type": "object", "properties": {"state": _STR, "role": _STR}}
    return {
        "/api/v1/events/{event_id}/rsvps": {
            "parameters": [EVENT_ID],
            "get": operation(
                "Counts, your answer, and the answers you may see",
                "listRsvps",
                responses={"200": json_body(RSVPS, "Answers"), **errors(401, 404)},
            ),
        },
        "/api/v1/events/{event_id}/rsvp": {
            "parameters": [EVENT_ID],
            "put": operation(
                "Answer a meetup, or change your answer (full: the waitlist)",
                "answerMeetup",
                requestBody=body("RsvpIn"),
                responses={
                    "200": json_body(ANSWERED, "Where you stand"),
                    **errors(400, 401, 403, 404, 415),
                },
            ),
            "delete": operation(
                "Withdraw your answer",
                "withdrawAnswer",
                responses={"204": {"description": "Withdrawn"}, **errors(401, 404)},
            ),
        },
        "/api/v1/events/{event_id}/rsvps/{participation_id}/decision": {
            "parameters": [EVENT_ID, PARTICIPATION_ID],
            "post": operation(
                "Approve or turn down a request to attend (organizers)",
                "decideRequest",
                requestBody=body("DecisionIn"),
                responses={
                    "200": json_body(decided, "Decided"),
                    **errors(400, 401, 403, 404, 415),
                },
            ),
        },
        "/api/v1/groups/{slug}/members": {
            "parameters": [SLUG],
            "get": operation(
                "A group's members, local and remote (members only)",
                "listMembers",
                responses={"200": json_body(MEMBERS, "Members"), **errors(401, 403, 404)},
            ),
        },
        "/api/v1/groups/{slug}/membership": {
            "parameters": [SLUG],
            "put": operation(
                "Join the group (approval groups: a request)",
                "joinGroup",
                responses={"201": json_body(joined, "Joined"), **errors(401, 403, 404, 409)},
            ),
            "delete": operation(
                "Leave the group",
                "leaveGroup",
                responses={"204": {"description": "Left"}, **errors(401, 404, 409)},
            ),
        },
    }
