"""OpenAPI paths of the practice-grounds API: a meetup's roles, agenda and minutes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.api.practice import MODELS

JsonObject = dict[str, Any]
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ROLE_ID = {"name": "role_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
__all__ = ["MODELS", "SCHEMAS", "practice_paths"]

SCHEMAS: JsonObject = {
    "MeetupRoles": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "taken": {"type": "boolean"},
                        "holder": {
                            "type": ["string", "null"],
                            "description": "@username (shown to the group's members only)",
                        },
                        "suggested": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "your turn? (organizers only; empty otherwise)",
                        },
                    },
                },
            }
        },
    },
    "Agenda": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "note": {"type": "string"},
                        "presenter": {"type": "string"},
                        "minutes": {"type": "integer"},
                        "starts_at": {"type": "string", "format": "date-time"},
                        "proposal_id": {"type": ["integer", "null"]},
                    },
                },
            },
            "total_minutes": {"type": "integer"},
            "length_minutes": {"type": "integer"},
            "over_minutes": {"type": "integer"},
            "created": {"type": "integer", "description": "the new item's id (on POST)"},
        },
    },
    "Minutes": {
        "type": "object",
        "properties": {
            "event": {"type": "integer"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "body": {"type": "string", "description": "Markdown"},
            "body_html": {"type": "string"},
            "visibility": {"type": "string", "enum": ["members", "public"]},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
}


def practice_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the roles, agenda and minutes API."""

    def body(name: str) -> JsonObject:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    def op(summary: str, op_id: str, out: str, *codes: int, **extra: Any) -> JsonObject:
        status = str(extra.pop("status", 200))
        return {
            "summary": summary,
            "operationId": op_id,
            "security": SECURED,
            **extra,
            "responses": {status: json_body(ref(out), summary), **errors(*codes)},
        }

    changed = (400, 401, 403, 404, 409, 415)
    return {
        "/api/v1/events/{event_id}/roles": {
            "parameters": [EVENT_ID],
            "get": op("The meetup's roles and holders", "listMeetupRoles", "MeetupRoles", 401, 404),
        },
        "/api/v1/events/{event_id}/roles/{role_id}/volunteer": {
            "parameters": [EVENT_ID, ROLE_ID],
            "put": op(
                "Take an open role (no body; taking one's own role again changes nothing)",
                "volunteerForRole",
                "MeetupRoles",
                400,
                401,
                403,
                404,
                409,
            ),
        },
        "/api/v1/events/{event_id}/roles/{role_id}": {
            "parameters": [EVENT_ID, ROLE_ID],
            "put": op(
                "Give the role to a member (organizers)",
                "assignRole",
                "MeetupRoles",
                *changed,
                requestBody=body("AssignIn"),
            ),
            "delete": op(
                "Hand the role back (its holder) or free it (organizers)",
                "handBackRole",
                "MeetupRoles",
                400,
                401,
                403,
                404,
            ),
        },
        "/api/v1/events/{event_id}/agenda": {
            "parameters": [EVENT_ID],
            "get": op("The agenda with start times", "getAgenda", "Agenda", 401, 404),
            "post": op(
                "Add an agenda item (members)",
                "addAgendaItem",
                "Agenda",
                *changed,
                requestBody=body("AgendaItemIn"),
                status=201,
            ),
        },
        "/api/v1/events/{event_id}/agenda/order": {
            "parameters": [EVENT_ID],
            "put": op(
                "Order the agenda (organizers and the facilitator)",
                "orderAgenda",
                "Agenda",
                *changed,
                requestBody=body("AgendaOrderIn"),
            ),
        },
        "/api/v1/events/{event_id}/agenda/{item_id}": {
            "parameters": [EVENT_ID, ITEM_ID],
            "patch": op(
                "Set an item's time (organizers and the facilitator)",
                "setAgendaItemTime",
                "Agenda",
                *changed,
                requestBody=body("AgendaItemPatch"),
            ),
            "delete": {
                "summary": "Remove an item (its author, organizers, the facilitator)",
                "operationId": "removeAgendaItem",
                "security": SECURED,
                "responses": {"204": {"description": "Removed"}, **errors(400, 401, 403, 404)},
            },
        },
        "/api/v1/events/{event_id}/minutes": {
            "parameters": [EVENT_ID],
            "get": op(
                "The minutes (404 with a Markdown prefill for their writers while none exist)",
                "getMinutes",
                "Minutes",
                401,
                404,
            ),
            "put": op(
                "Write, edit or publish the minutes (the note-taker and organizers)",
                "writeMinutes",
                "Minutes",
                *changed,
                requestBody=body("MinutesIn"),
            ),
        },
    }
