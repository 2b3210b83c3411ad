"""The meetup part of the OpenAPI document (see ``server.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.api.events import EventIn, EventPatch, RecurrenceIn

JsonObject = dict[str, Any]
MODELS = (EventIn, EventPatch, RecurrenceIn)

EVENT_SCHEMA: JsonObject = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "group": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "description_html": {"type": "string"},
        "start": {"type": "string", "format": "date-time", "description": "UTC"},
        "end": {"type": "string", "format": "date-time", "description": "UTC"},
        "timezone": {"type": "string"},
        "when": {"type": "string", "description": "local, for people"},
        "all_day": {"type": "boolean"},
        "status": {"enum": ["confirmed", "tentative", "cancelled"]},
        "venue_name": {"type": "string"},
        "street": {"type": "string"},
        "postal_code": {"type": "string"},
        "locality": {"type": "string"},
        "country": {"type": "string"},
        "latitude": {"type": ["number", "null"]},
        "longitude": {"type": ["number", "null"]},
        "online_url": {"type": "string"},
        "capacity": {"type": ["integer", "null"]},
        "join_mode": {"type": "string"},
        "external_url": {"type": "string"},
        "visibility": {"type": "string"},
        "remind_minutes": {"type": "integer", "description": "0: no reminder"},
        "series_id": {"type": ["integer", "null"]},
        "sequence": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
LIST_PARAMS = [
    {"name": "group", "in": "query", "schema": {"type": "string"}},
    {"name": "tag", "in": "query", "schema": {"type": "string"}},
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
]
ID_PARAM = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]


def event_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the meetup API."""
    listing = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Event")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
        },
    }
    list_op = {
        "summary": "List public upcoming meetups",
        "parameters": LIST_PARAMS,
        "responses": {"200": json_body(listing, "Meetups"), **errors(400)},  # 400: a NUL
    }
    body = {"required": True, "content": {"application/json": {"schema": ref("EventIn")}}}
    patch_body = {"required": True, "content": {"application/json": {"schema": ref("EventPatch")}}}
    created = {"oneOf": [ref("Event"), listing]}
    return {
        "/api/v1/events": {"get": {**list_op, "operationId": "listEvents"}},
        "/api/v1/groups/{slug}/events": {
            "parameters": [SLUG_PARAM],
            "get": {**list_op, "operationId": "listGroupEvents"},
            "post": {
                "summary": "Create a meetup or a series (a list of occurrences)",
                "operationId": "createEvent",
                "security": SECURED,
                "requestBody": body,
                "responses": {
                    "201": json_body(created, "Created"),
                    **errors(400, 401, 403, 404, 415),
                },
            },
        },
        "/api/v1/events/{event_id}": {
            "parameters": [ID_PARAM],
            "get": {
                "summary": "Read a meetup",
                "operationId": "getEvent",
                "responses": {"200": json_body(ref("Event"), "The meetup"), **errors(404)},
            },
            "patch": {
                "summary": "Change a meetup",
                "operationId": "updateEvent",
                "security": SECURED,
                "requestBody": patch_body,
                "responses": {
                    "200": json_body(ref("Event"), "Changed"),
                    **errors(400, 401, 403, 404, 415),
                },
            },
            "delete": {
                "summary": "Delete a meetup",
                "operationId": "deleteEvent",
                "security": SECURED,
                "responses": {"204": {"description": "Deleted"}, **errors(401, 403, 404)},
            },
        },
        "/api/v1/events/{event_id}/cancel": {
            "parameters": [ID_PARAM],
            "post": {
                "summary": "Cancel a meetup",
                "operationId": "cancelEvent",
                "security": SECURED,
                "responses": {"200": json_body(ref("Event"), "Cancelled"), **errors(401, 403, 404)},
            },
        },
    }
