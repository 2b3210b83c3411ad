"""The OpenAPI 3.1 document of ``/api/v1``, with schemas taken from the API's pydantic models."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import __version__
from server.api.follows import FollowOut
from server.api.group_archive import MoveIn
from server.api.groups import GroupIn, GroupOut, GroupPatch
from server.api.notifications import NOTIFICATION_SCHEMA, MarkReadIn, notification_paths
from server.api.openapi_attendance import MODELS as ATTENDANCE_MODELS
from server.api.openapi_attendance import attendance_paths
from server.api.openapi_calendar_imports import MODELS as CALENDAR_IMPORT_MODELS
from server.api.openapi_calendar_imports import calendar_import_paths
from server.api.openapi_decisions import MODELS as DECISION_MODELS
from server.api.openapi_decisions import PROPOSAL_SCHEMA, decision_paths
from server.api.openapi_events import EVENT_SCHEMA, event_paths
from server.api.openapi_events import MODELS as EVENT_MODELS
from server.api.openapi_group_archive import group_archive_paths
from server.api.openapi_posts import MODELS as POST_MODELS
from server.api.openapi_posts import post_paths
from server.api.openapi_practice import MODELS as PRACTICE_MODELS
from server.api.openapi_practice import SCHEMAS as PRACTICE_SCHEMAS
from server.api.openapi_practice import practice_paths
from server.api.posts import PostOut
from server.request_scope import settings_of

JsonObject = dict[str, Any]


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: JsonObject, description: str) -> JsonObject:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> JsonObject:
    texts = {
        400: "Invalid input",
        401: "Missing or unknown token",
        403: "Not allowed",
        404: "Not found",
        409: "Name taken",
        413: "Body too large",
        415: "Not JSON",
        429: "Too many requests: retry after the Retry-After header's seconds",
    }
    # Every operation is rate limited (``[rate_limits] api_per_client``).
    return {str(status): _json(_ref("Error"), texts[status]) for status in (*statuses, 429)}


SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
LIST_PARAMS = [
    {
        "name": "q",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Words in the name or summary",
    },
    {"name": "tag", "in": "query", "schema": {"type": "string"}},
    {"name": "place", "in": "query", "schema": {"type": "string"}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
]
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
#: Response models are named after what they describe.
OUTPUT_NAMES: dict[type, str] = {GroupOut: "Group", PostOut: "Post", FollowOut: "Follow"}


def _paths() -> JsonObject:
    group_list = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Group")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }
    body = {"required": True, "content": {"application/json": {"schema": _ref("GroupIn")}}}
    patch_body = {"required": True, "content": {"application/json": {"schema": _ref("GroupPatch")}}}
    return {
        "/api/v1/groups": {
            "get": {
                "summary": "List public groups",
                "operationId": "listGroups",
                "parameters": LIST_PARAMS,
                "responses": {"200": _json(group_list, "Groups"), **_errors(400)},
            },
            "post": {
                "summary": "Create a group",
                "operationId": "createGroup",
                "security": SECURED,
                "requestBody": body,
                "responses": {
                    "201": _json(_ref("Group"), "Created"),
                    **_errors(400, 401, 409, 415),
                },
            },
        },
        "/api/v1/groups/{slug}": {
            "parameters": [SLUG_PARAM],
            "get": {
                "summary": "Read a group",
                "operationId": "getGroup",
                "responses": {"200": _json(_ref("Group"), "The group"), **_errors(404)},
            },
            "patch": {
                "summary": "Change a group",
                "operationId": "updateGroup",
                "security": SECURED,
                "requestBody": patch_body,
                "responses": {
                    "200": _json(_ref("Group"), "Changed"),
                    **_errors(400, 401, 403, 404, 415),
                },
            },
            "delete": {
                "summary": "Delete a group",
                "operationId": "deleteGroup",
                "security": SECURED,
                "responses": {"204": {"description": "Deleted"}, **_errors(401, 403, 404)},
            },
        },
        "/api/v1/me": {
            "get": {
                "summary": "The token's user and their groups",
                "operationId": "me",
                "security": SECURED,
                "responses": {"200": _json({"type": "object"}, "The user"), **_errors(401)},
            },
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This OpenAPI document",
                "operationId": "getOpenApi",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document")},
            },
        },
    }


def build_openapi(base_url: str) -> JsonObject:
    """The whole OpenAPI document."""
    schemas: JsonObject = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}, "detail": {}},
        }
    }
    schemas["Event"] = EVENT_SCHEMA
    schemas["Proposal"] = PROPOSAL_SCHEMA
    schemas.update(PRACTICE_SCHEMAS)
    schemas["Notification"] = NOTIFICATION_SCHEMA
    for model in (
        GroupIn,
        GroupPatch,
        GroupOut,
        *EVENT_MODELS,
        *DECISION_MODELS,
        *ATTENDANCE_MODELS,
        *POST_MODELS,
        *PRACTICE_MODELS,
        MarkReadIn,
        *CALENDAR_IMPORT_MODELS,
        MoveIn,
    ):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[OUTPUT_NAMES.get(model, model.__name__)] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hearth API", "version": __version__},
        "servers": [{"url": base_url}],
        "paths": {
            **_paths(),
            **event_paths(_ref, _json, _errors),
            **decision_paths(_ref, _json, _errors),
            **attendance_paths(_ref, _json, _errors),
            **post_paths(_ref, _json, _errors),
            **practice_paths(_ref, _json, _errors),
            **notification_paths(_ref, _json, _errors),
            **calendar_import_paths(_ref, _json, _errors),
            **group_archive_paths(_ref, _json, _errors),
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi_document(request: Request) -> Response:
    """Serve the OpenAPI document."""
    return JSONResponse(build_openapi(settings_of(request).base_url))


routes = [Route("/api/v1/openapi.json", openapi_document, methods=["GET"])]
