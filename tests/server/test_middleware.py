"""What wraps every request: security headers on every kind of response, and body caps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.web import WebClient

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/about", 200),
        ("/login", 200),
        ("/static/hearth.css", 200),
        ("/api/v1/groups", 200),
        ("/api/v1/openapi.json", 200),
        ("/groups/nothing", 404),
        ("/api/v1/nothing", 404),
        ("/no/such/page", 404),
        ("/me/groups", 303),
        ("/groups/%00", 400),
    ],
)
async def test_every_response_carries_the_security_headers(
    web: WebClient, path: str, status: int
) -> None:
    response = await web.get(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (path, name)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "strict-transport-security" not in response.headers


async def test_a_form_over_the_cap_is_413(web: WebClient) -> None:
    token = await web.csrf("/login")
    body = f"csrf_token={token}&login=" + "x" * 1_000_001
    response = await web.client.post(
        "/login",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_streamed_body_over_the_cap_is_413(web: WebClient) -> None:
    token = await web.csrf("/login")

    async def chunks() -> AsyncIterator[bytes]:
        yield f"csrf_token={token}&login=".encode()
        for _ in range(20):
            yield b"x" * 100_000

    response = await web.client.post(
        "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert "too large" in response.text


async def test_a_declared_length_over_the_cap_is_refused_before_reading(web: WebClient) -> None:
    response = await web.client.post(
        "/api/v1/groups",
        content=json.dumps({"slug": "x"}),
        headers={"Content-Type": "application/json", "Content-Length": "2000000"},
    )
    assert response.status_code == 413
