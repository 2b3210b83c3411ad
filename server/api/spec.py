"""Route metadata for the OpenAPI document: each ``/api/v1`` route declares its summary, request
model, responses and errors next to its endpoint (:class:`ApiRoute`); :func:`paths_of` walks the
routes and writes the document's ``paths`` and the schemas they refer to."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from starlette.routing import BaseRoute, Route

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Named:
    """A JSON Schema written by hand (a response without a pydantic model), listed under
    ``components/schemas/<name>``."""

    name: str
    schema: JsonObject


#: A schema: a pydantic model, a named hand-written schema, or an inline JSON Schema.
Schema = type[BaseModel] | Named | JsonObject

ERROR = Named(
    "Error",
    {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "detail": {}},
    },
)
ERROR_TEXTS = {
    400: "Invalid input",
    401: "Missing or unknown token",
    403: "Not allowed",
    404: "Not found",
    409: "Name taken",
    413: "Body too large",
    415: "Not JSON",
    429: "Too many requests: retry after the Retry-After header's seconds",
}
#: ``token``: a bearer token is required; ``optional``: it shows more; ``none``: public.
Auth = Literal["token", "optional", "none"]
SECURITY: dict[Auth, list[JsonObject]] = {
    "token": [{"bearer": []}],
    "optional": [{}, {"bearer": []}],
}


@dataclass(frozen=True)
class Doc:
    """What the document says about one operation. ``ok`` maps a status to its description
    and body schema (None: no body); ``errors`` are the error statuses (429 is added, every
    operation being rate limited, unless ``rate_limited`` is false)."""

    summary: str
    operation_id: str
    ok: Mapping[int, tuple[str, Schema | None]]
    errors: tuple[int, ...] = ()
    body: Schema | None = None
    #: Other media types the body may have, with their schemas.
    other_bodies: Mapping[str, Schema] = field(default_factory=dict)
    auth: Auth = "token"
    query: tuple[JsonObject, ...] = ()
    rate_limited: bool = True


class ApiRoute(Route):
    """A route of the JSON API, with its :class:`Doc`; one method per route."""

    def __init__(self, path: str, endpoint: Callable[..., Any], method: str, doc: Doc) -> None:
        super().__init__(path, endpoint, methods=[method])
        self.method = method.lower()
        self.doc = doc


def query(name: str, schema_type: str = "string", description: str = "", **more: Any) -> JsonObject:
    """A query parameter; ``more``: constraints of its schema (minimum, format...)."""
    found = {"name": name, "in": "query", "schema": {"type": schema_type, **more}}
    return found | ({"description": description} if description else {})


def obj(**properties: Schema) -> JsonObject:
    """An object with these properties (none required)."""
    return {"type": "object", "properties": properties}


def listing(item: Schema, *counts: str, **more: JsonObject) -> JsonObject:
    """``{"items": [item, ...]}`` with integer ``counts`` (total, page...) and ``more``."""
    properties = {"items": {"type": "array", "items": item}}
    return {
        "type": "object",
        "properties": properties | {name: {"type": "integer"} for name in counts} | more,
    }


class _Writer:
    """Turns schemas into JSON, collecting the named ones for ``components/schemas``."""

    def __init__(self) -> None:
        self.components: JsonObject = {}

    def schema(self, schema: Schema) -> JsonObject:
        if isinstance(schema, Named):
            self.components.setdefault(schema.name, self.schema(schema.schema))
            return _ref(schema.name)
        if isinstance(schema, dict):
            return {key: self._walk(value) for key, value in schema.items()}
        name = model_name(schema)
        if name not in self.components:
            found = schema.model_json_schema(ref_template="#/components/schemas/{model}")
            self.components.update(found.pop("$defs", {}))
            self.components[name] = found
        return _ref(name)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.schema(value)
        if isinstance(value, Named) or (isinstance(value, type) and issubclass(value, BaseModel)):
            return self.schema(value)
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        return value

    def content(self, schema: Schema, description: str) -> JsonObject:
        return {
            "description": description,
            "content": {"application/json": {"schema": self.schema(schema)}},
        }

    def operation(self, doc: Doc) -> JsonObject:
        found: JsonObject = {"summary": doc.summary, "operationId": doc.operation_id}
        if doc.auth in SECURITY:
            found["security"] = SECURITY[doc.auth]
        if doc.query:
            found["parameters"] = list(doc.query)
        if doc.body is not None:
            media = {"application/json": doc.body, **doc.other_bodies}
            found["requestBody"] = {
                "required": True,
                "content": {kind: {"schema": self.schema(s)} for kind, s in media.items()},
            }
        responses: JsonObject = {}
        for status, (description, schema) in doc.ok.items():
            responses[str(status)] = (
                {"description": description}
                if schema is None
                else self.content(schema, description)
            )
        rate = (429,) if doc.rate_limited else ()
        for status in (*doc.errors, *rate):
            responses[str(status)] = self.content(ERROR, ERROR_TEXTS[status])
        found["responses"] = responses
        return found


def model_name(model: type[BaseModel]) -> str:
    """The name a model has in the document (``openapi_name``, else the class name)."""
    return str(getattr(model, "openapi_name", model.__name__))


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_parameter(name: str) -> JsonObject:
    kind = "integer" if name.endswith("_id") else "string"
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def paths_of(routes: Iterable[BaseRoute]) -> tuple[JsonObject, JsonObject]:
    """The ``paths`` of the API routes among ``routes``, and the schemas they refer to."""
    writer = _Writer()
    writer.schema(ERROR)
    paths: JsonObject = {}
    for route in routes:
        if not isinstance(route, ApiRoute):
            continue
        path = re.sub(r"{(\w+):\w+}", r"{\1}", route.path)
        item = paths.setdefault(path, {})
        names = re.findall(r"{(\w+)}", path)
        if names:
            item["parameters"] = [_path_parameter(name) for name in names]
        item[route.method] = writer.operation(route.doc)
    return paths, writer.components
