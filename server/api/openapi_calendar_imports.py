"""The calendar imports part of the OpenAPI document (see ``server.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.api.calendar_imports import CalendarImportIn, CalendarImportOut

JsonObject = dict[str, Any]
MODELS = (CalendarImportIn, CalendarImportOut)

SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
IMPORT_PARAM = {"name": "import_id", "in": "path", "required": True, "schema": {"type": "integer"}}
EVENT_PARAM = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
UNREADABLE = {
    "422": {
        "description": "The calendar could not be fetched or read (the reason is in detail)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}


def calendar_import_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the calendar imports API."""

    def operation(summary: str, operation_id: str, ok: JsonObject, *fails: int) -> JsonObject:
        return {
            "summary": summary,
            "operationId": operation_id,
            "security": SECURED,
            "responses": {**ok, **errors(*fails)},
        }

    one = {"200": json_body(ref("CalendarImportOut"), "The import")}
    listing = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("CalendarImportOut")}},
    }
    body = {
        "required": True,
        "content": {
            "application/json": {"schema": ref("CalendarImportIn")},
            "text/calendar": {
                "schema": {"type": "string", "description": "An .ics file, imported once"}
            },
        },
    }
    upload_params = [
        {"name": "timezone", "in": "query", "schema": {"type": "string"}},
        {"name": "filename", "in": "query", "schema": {"type": "string"}},
    ]
    detached = {
        "type": "object",
        "properties": {
            "event_id": {"type": "integer"},
            "uid": {"type": "string"},
            "detached": {"type": "boolean"},
        },
    }
    return {
        "/api/v1/groups/{slug}/calendar-imports": {
            "parameters": [SLUG_PARAM],
            "get": operation(
                "The group's calendar imports (admins and moderators)",
                "listCalendarImports",
                {"200": json_body(listing, "Imports")},
                401,
                403,
                404,
            ),
            "post": operation(
                "Subscribe the group to an ICS/webcal calendar (JSON), or import an .ics body "
                "once; read at once, its events become meetups",
                "createCalendarImport",
                {"201": json_body(ref("CalendarImportOut"), "Imported")} | UNREADABLE,
                400,
                401,
                403,
                404,
                415,
            )
            | {"requestBody": body, "parameters": upload_params},
        },
        "/api/v1/groups/{slug}/calendar-imports/{import_id}": {
            "parameters": [SLUG_PARAM, IMPORT_PARAM],
            "get": operation("One import", "getCalendarImport", one, 401, 403, 404),
            "delete": operation(
                "Stop importing; upcoming meetups not detached are cancelled",
                "deleteCalendarImport",
                {"204": {"description": "Done"}},
                401,
                403,
                404,
            ),
        },
        "/api/v1/groups/{slug}/calendar-imports/{import_id}/refresh": {
            "parameters": [SLUG_PARAM, IMPORT_PARAM],
            "post": operation("Read the calendar now", "refreshCalendarImport", one, 401, 403, 404),
        },
        "/api/v1/events/{event_id}/detach": {
            "parameters": [EVENT_PARAM],
            "post": operation(
                "Detach an imported meetup: the import no longer changes it",
                "detachImportedEvent",
                {"200": json_body(detached, "Detached")},
                400,
                401,
                403,
                404,
            ),
        },
    }
