"""The JSON API: bearer tokens, JSON errors, creating and changing groups, and refusals
that leave nothing behind."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.server.conftest import AsyncCliRunner, Tokens
from tests.server.db_access import Snapshot
from tests.web import WebClient


def assert_error(response: httpx.Response, status: int, error: str) -> Any:
    """The response is a JSON error with this status and code; returns its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == error
    return body["detail"]


async def create(
    web: WebClient, headers: dict[str, str], body: Any = None, **fields: Any
) -> httpx.Response:
    payload = body if body is not None else {"slug": "club", "name": "Club", **fields}
    return await web.client.post("/api/v1/groups", json=payload, headers=headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/groups"),
        ("PATCH", "/api/v1/groups/club"),
        ("DELETE", "/api/v1/groups/club"),
        ("GET", "/api/v1/me"),
    ],
)
@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic YWxpY2U6cHc=", "Token abc"]
)
async def test_no_token_is_401(
    web: WebClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await web.client.request(method, path, json={"name": "x"}, headers=headers)
    detail = assert_error(response, 401, "unauthorized")
    assert "Bearer" in detail
    assert response.headers["www-authenticate"] == 'Bearer realm="hearth"'


async def test_an_unknown_token_is_401(web: WebClient, bearer: Tokens) -> None:
    await bearer("alice")
    response = await web.get("/api/v1/me", headers={"Authorization": "Bearer hearth_nope"})
    assert_error(response, 401, "unauthorized")
    assert "invalid_token" in response.headers["www-authenticate"]


async def test_create_a_group(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    response = await create(
        web,
        alice,
        slug="Repair-Cafe",
        name="Repair Café",
        summary="We fix **things**",
        location="Riverside",
        latitude=45.76,
        longitude=4.83,
        tags=["Repair", "#DIY"],
        membership_mode="approval",
    )
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/groups/repair-cafe"
    body = response.json()
    assert body["slug"] == "repair-cafe"
    assert body["handle"] == "@repair-cafe@localhost:8000"
    assert body["url"] == "http://localhost:8000/groups/repair-cafe"
    assert body["summary_html"] == "<p>We fix <strong>things</strong></p>\n"
    assert body["tags"] == ["repair", "diy"]
    assert body["member_count"] == 1
    assert body["membership_mode"] == "approval"
    again = await web.get(response.headers["location"])
    assert again.json() == body
    me = (await web.get("/api/v1/me", headers=alice)).json()
    assert me["groups"] == [
        {"slug": "repair-cafe", "name": "Repair Café", "role": "admin", "state": "active"}
    ]
    assert "Repair Café" in (await web.get("/groups/repair-cafe")).text


async def test_invalid_json_is_400(
    web: WebClient, bearer: Tokens, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    alice = await bearer("alice")
    before = await snapshot()
    headers = {**alice, "Content-Type": "application/json"}
    for raw in (b"{", b"", b"\xff\xfe", b'{"slug": "club", "name": }'):
        response = await web.client.post("/api/v1/groups", content=raw, headers=headers)
        assert_error(response, 400, "invalid_json")
    not_objects: list[Any] = [[], "club", 3, None]
    for body in not_objects:
        response = await web.client.post(
            "/api/v1/groups", content=json.dumps(body), headers=headers
        )
        assert_error(response, 400, "invalid_input")
    assert await snapshot() == before


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
async def test_a_body_that_is_not_json_is_415(
    web: WebClient, bearer: Tokens, content_type: str | None
) -> None:
    alice = await bearer("alice")
    headers = {**alice, **({"Content-Type": content_type} if content_type else {})}
    body = json.dumps({"slug": "club", "name": "Club"})
    response = await web.client.post("/api/v1/groups", content=body, headers=headers)
    assert_error(response, 415, "unsupported_media_type")
    ok = await web.client.post(
        "/api/v1/groups",
        content=body,
        headers={**alice, "Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201


async def test_an_unknown_field_is_400_naming_it(
    web: WebClient, bearer: Tokens, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    alice = await bearer("alice")
    before = await snapshot()
    detail = assert_error(await create(web, alice, colour="red"), 400, "invalid_input")
    assert [item["field"] for item in detail] == ["colour"]
    assert await snapshot() == before


async def test_validation_errors_name_the_fields(
    web: WebClient, bearer: Tokens, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    alice = await bearer("alice")
    before = await snapshot()
    body = {
        "slug": "",
        "name": "x" * 101,
        "latitude": 91,
        "longitude": "east",
        "tags": ["a"] * 11,
        "visibility": "secret",
        "membership_mode": 3,
    }
    detail = assert_error(await create(web, alice, body), 400, "invalid_input")
    fields = {item["field"] for item in detail}
    assert fields == {
        "slug",
        "name",
        "latitude",
        "longitude",
        "tags",
        "visibility",
        "membership_mode",
    }
    assert all(item["message"] for item in detail)
    missing = assert_error(await create(web, alice, {}), 400, "invalid_input")
    assert {item["field"] for item in missing} == {"slug", "name"}
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("fields", "status", "error", "field"),
    [
        ({"slug": "new"}, 400, "invalid_input", "slug"),
        ({"slug": "bad slug"}, 400, "invalid_input", "slug"),
        ({"slug": "alice"}, 409, "conflict", "slug"),
        ({"tags": ["ok", "not ok!"]}, 400, "invalid_input", "tags"),
        ({"latitude": 10}, 400, "invalid_input", "latitude"),
        ({"name": "   "}, 400, "invalid_input", "name"),
    ],
)
async def test_rule_violations_leave_nothing_behind(
    web: WebClient,
    bearer: Tokens,
    snapshot: Callable[[], Awaitable[Snapshot]],
    fields: dict[str, Any],
    status: int,
    error: str,
    field: str,
) -> None:
    alice = await bearer("alice")
    before = await snapshot()
    detail = assert_error(await create(web, alice, **fields), status, error)
    assert detail["field"] == field
    assert detail["message"]
    assert await snapshot() == before
    assert (await web.get("/api/v1/groups/club")).status_code == 404


async def test_a_taken_slug_is_409(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    assert (await create(web, alice)).status_code == 201
    detail = assert_error(await create(web, alice, slug="CLUB"), 409, "conflict")
    assert "already taken" in detail["message"]


async def test_patch_and_delete_a_group(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    await create(web, alice, summary="old", tags=["a", "b"], latitude=1.5, longitude=2.5)
    patched = await web.client.patch(
        "/api/v1/groups/club", json={"name": "Renamed", "tags": ["c"]}, headers=alice
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["name"], body["tags"], body["summary"]) == ("Renamed", ["c"], "old")
    assert (body["latitude"], body["longitude"]) == (1.5, 2.5)
    cleared = await web.client.patch(
        "/api/v1/groups/club", json={"latitude": None, "longitude": None}, headers=alice
    )
    assert (cleared.json()["latitude"], cleared.json()["longitude"]) == (None, None)
    half = await web.client.patch("/api/v1/groups/club", json={"latitude": 3}, headers=alice)
    assert assert_error(half, 400, "invalid_input")["field"] == "latitude"
    assert (await web.get("/api/v1/groups/club")).json()["latitude"] is None

    deleted = await web.client.delete("/api/v1/groups/club", headers=alice)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(await web.get("/api/v1/groups/club"), 404, "not_found")


async def test_another_users_group_is_403(
    web: WebClient, bearer: Tokens, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    alice = await bearer("alice")
    eve = await bearer("eve")
    await create(web, alice)
    before = await snapshot()
    patch = await web.client.patch("/api/v1/groups/club", json={"name": "Mine"}, headers=eve)
    assert assert_error(patch, 403, "forbidden")["message"]
    delete = await web.client.delete("/api/v1/groups/club", headers=eve)
    assert_error(delete, 403, "forbidden")
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/groups/nothing"),
        ("PATCH", "/api/v1/groups/nothing"),
        ("DELETE", "/api/v1/groups/nothing"),
    ],
)
async def test_an_unknown_group_is_a_json_404(
    web: WebClient, bearer: Tokens, method: str, path: str
) -> None:
    alice = await bearer("alice")
    response = await web.client.request(method, path, json={"name": "x"}, headers=alice)
    detail = assert_error(response, 404, "not_found")
    assert detail["message"] == "No group named nothing."


async def test_unknown_api_paths_and_methods_answer_json(web: WebClient) -> None:
    assert_error(await web.get("/api/v1/nothing"), 404, "http_error")
    assert_error(await web.client.put("/api/v1/groups/club", json={}), 405, "http_error")


async def test_an_oversized_body_is_413(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    body = json.dumps({"slug": "club", "name": "Club", "summary": "x" * 1_100_000})
    response = await web.client.post(
        "/api/v1/groups", content=body, headers={**alice, "Content-Type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


async def test_list_filters(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    await create(web, alice, slug="knit", name="Knitting", tags=["crafts"], location="Old Town")
    await create(web, alice, slug="run", name="Runners", tags=["sport"], location="Riverside")
    await create(web, alice, slug="hide", name="Hidden Knitting", visibility="unlisted")

    async def slugs(query: str) -> list[str]:
        response = await web.get(f"/api/v1/groups?{query}")
        assert response.status_code == 200
        return [item["slug"] for item in response.json()["items"]]

    assert await slugs("") == ["run", "knit"]
    assert await slugs("q=knit") == ["knit"]
    assert await slugs("tag=sport") == ["run"]
    assert await slugs("place=old") == ["knit"]
    assert await slugs("page=2") == []


async def test_a_token_from_the_cli_works(
    web: WebClient, acli: AsyncCliRunner, cli_config: Any
) -> None:
    await web.make_user("alice")
    result = await acli("--config", str(cli_config), "token", "create", "alice", "--name", "bot")
    assert result.status == 0, result.err
    token = result.out.strip()
    assert token.startswith("hearth_")
    assert len(result.out.splitlines()) == 1
    headers = {"Authorization": f"Bearer {token}"}
    assert (await web.get("/api/v1/me", headers=headers)).json()["username"] == "alice"
    assert (await create(web, headers)).status_code == 201


async def test_api_tags_are_normalized_like_the_web_forms(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    response = await create(web, alice, tags=["Books", "books", "#BOOKS", "Sci-Fi"])
    assert response.status_code == 201, response.text
    assert response.json()["tags"] == ["books", "sci-fi"]
    found = (await web.get("/api/v1/groups?tag=Books")).json()["items"]
    assert [item["slug"] for item in found] == ["club"]
    patched = await web.client.patch(
        "/api/v1/groups/club", json={"tags": ["#Poetry", "POETRY"]}, headers=alice
    )
    assert patched.json()["tags"] == ["poetry"]
    assert "#poetry" in (await web.get("/groups/club")).text
