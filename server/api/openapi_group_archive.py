"""The group archive and move part of the OpenAPI document (see ``server.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JsonObject = dict[str, Any]

SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
ARCHIVE = {
    "type": "object",
    "required": ["format", "version", "source", "group"],
    "description": "A group archive, format hearth-group-archive version 1 (docs/group-archive.md)",
    "properties": {
        "format": {"const": "hearth-group-archive"},
        "version": {"const": 1},
        "source": {"type": "object"},
        "group": {"type": "object"},
        "members": {"type": "array"},
        "followers": {"type": "array"},
        "meetups": {"type": "array"},
        "posts": {"type": "array"},
        "proposals": {"type": "array"},
    },
}

MOVED = {
    "type": "object",
    "properties": {"slug": {"type": "string"}, "moved_to": {"type": "string"}},
}


def group_archive_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the group archive API."""
    return {
        "/api/v1/groups/{slug}/archive": {
            "parameters": [SLUG_PARAM],
            "get": {
                "summary": "Download the group's archive (its admins)",
                "operationId": "exportGroup",
                "security": SECURED,
                "responses": {"200": json_body(ARCHIVE, "The archive"), **errors(401, 403, 404)},
            },
        },
        "/api/v1/groups/{slug}/move": {
            "parameters": [SLUG_PARAM],
            "post": {
                "summary": "Move the group to its imported copy: Move to followers, movedTo, "
                "pages redirect",
                "operationId": "moveGroup",
                "security": SECURED,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("MoveIn")}},
                },
                "responses": {
                    "200": json_body(MOVED, "Moved"),
                    **errors(400, 401, 403, 404, 409, 415),
                },
            },
        },
        "/api/v1/groups/import": {
            "post": {
                "summary": "Create a group from an archive; the caller becomes its admin",
                "operationId": "importGroup",
                "security": SECURED,
                "parameters": [
                    {"name": "slug", "in": "query", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ARCHIVE}},
                },
                "responses": {
                    "201": json_body(ref("Group"), "Created"),
                    **errors(400, 401, 409, 413, 415),
                },
            },
        },
    }
