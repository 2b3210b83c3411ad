"""``/api/v1/openapi.json`` is a well-formed OpenAPI 3.1 document that describes exactly the
API the app routes, with every ``$ref`` resolving."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

from tests.web import WebClient

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
async def document(web: WebClient) -> dict[str, Any]:
    response = await web.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` anywhere in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, ref
        node = node[part]
    return node


def routed_operations(app: Any) -> set[tuple[str, str]]:
    """(path, method) of every API route the app serves, HEAD aside, written the OpenAPI way
    (``{event_id:int}`` is ``{event_id}``)."""
    return {
        (re.sub(r"{(\w+):\w+}", r"{\1}", route.path), method.lower())
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/v1")
        for method in (route.methods or set()) - {"HEAD"}
    }


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_top_level_structure(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert document["servers"] == [{"url": "http://localhost:8000"}]
    assert set(document) <= {
        "openapi",
        "info",
        "jsonSchemaDialect",
        "servers",
        "paths",
        "webhooks",
        "components",
        "security",
        "tags",
        "externalDocs",
    }
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)  # raises OpenAPIValidationError with the first problem
    # The validator does look: a response without its description is refused.
    broken = {**document, "paths": {"/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(Exception, match="description"):
        validate(broken)


def test_every_routed_operation_is_documented_and_vice_versa(
    web: WebClient, document: dict[str, Any]
) -> None:
    routed = routed_operations(web.app)
    assert ("/api/v1/groups", "post") in routed
    assert documented_operations(document) == routed


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = list(refs(document))
    assert len(found) > 10
    for ref in found:
        target = resolve(document, ref)
        assert isinstance(target, dict), ref


def test_operations_are_complete(document: dict[str, Any]) -> None:
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/")
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operation_ids.append(operation["operationId"])
            assert operation["responses"], (path, method)
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5][0-9][0-9]|default", status), status
                assert response["description"], (path, method, status)
            names = declared | {
                p["name"] for p in operation.get("parameters", []) if p["in"] == "path"
            }
            assert names == set(re.findall(r"{(\w+)}", path)), (path, method)
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"query", "header", "path", "cookie"}
                assert "schema" in parameter
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(document["components"]["securitySchemes"])
    assert len(operation_ids) == len(set(operation_ids))


def test_write_operations_need_a_token_and_document_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method in ("post", "patch", "delete"):
            if method in item:
                assert item[method]["security"] == [{"bearer": []}], (path, method)
                assert "401" in item[method]["responses"], (path, method)
                # Actions on a thing take no body: cancel a meetup, read a calendar again, detach.
                if method != "delete" and not path.endswith(("/cancel", "/refresh", "/detach")):
                    assert "requestBody" in item[method]
                    assert {"400", "415"} <= set(item[method]["responses"])


def test_request_schemas_match_the_api(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    group_in = schemas["GroupIn"]
    assert set(group_in["required"]) == {"slug", "name"}
    assert group_in["additionalProperties"] is False
    assert schemas["GroupPatch"]["additionalProperties"] is False
    assert set(schemas["Group"]["properties"]) >= {"slug", "handle", "summary_html", "tags"}
    assert schemas["Error"]["required"] == ["error"]
