"""The OpenAPI 3.1 document of ``/api/v1``, generated from the API routes' declarations
(``server.api.spec``): paths, parameters, bodies and responses; schemas from the API's pydantic
models and the hand-written response schemas of ``server.api.schemas``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server import __version__
from server.api import (
    attendance,
    calendar_imports,
    decisions,
    events,
    follows,
    group_archive,
    groups,
    notifications,
    posts,
    practice,
)
from server.api.spec import ApiRoute, Doc, paths_of
from server.request_scope import settings_of

JsonObject = dict[str, Any]


async def openapi_document(request: Request) -> Response:
    """Serve the OpenAPI document."""
    return JSONResponse(build_openapi(settings_of(request).base_url))


routes: list[BaseRoute] = [
    ApiRoute(
        "/api/v1/openapi.json",
        openapi_document,
        "GET",
        Doc(
            "This OpenAPI document",
            "getOpenApi",
            {200: ("The OpenAPI 3.1 document", {"type": "object"})},
            auth="none",
            rate_limited=False,
        ),
    )
]
#: Every route of the JSON API, in the order the document lists them.
API_ROUTES: list[BaseRoute] = [
    *groups.routes,
    *routes,
    *events.routes,
    *decisions.routes,
    *attendance.routes,
    *posts.routes,
    *follows.routes,
    *practice.routes,
    *notifications.routes,
    *calendar_imports.routes,
    *group_archive.routes,
]


def build_openapi(base_url: str) -> JsonObject:
    """The whole OpenAPI document."""
    paths, schemas = paths_of(API_ROUTES)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hearth API", "version": __version__},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
