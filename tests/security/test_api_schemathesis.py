"""Schemathesis against the JSON API, in process: every operation of ``/api/v1/openapi.json``
gets generated requests — valid and invalid bodies, paths and queries — sent with an
organizer's API token to the ASGI app. No answer is a 5xx, and every answer conforms to the
document (documented status, content type, headers and body schema).

The document is the one the app serves (``build_openapi``); the test checks they are equal.
Budget: ``EXAMPLES`` requests (about 30–60 s)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.api.openapi import build_openapi
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.events.conftest import FORM
from tests.web import WebClient

EXAMPLES = 1000
BASE_URL = "http://localhost:8000"
SCHEMA = schemathesis.openapi.from_dict(build_openapi(BASE_URL))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
async def token(web: WebClient, run_in_db: Callable[..., Any]) -> str:
    """An admin organizer with a group ``club`` and a meetup; their API token."""
    await web.login_as_new("organizer", is_admin=True)
    assert (await web.create_group("club", "Club")).status_code == 303
    event = await web.post_form(
        "/groups/club/events/new", FORM, csrf_from="/groups/club/events/new"
    )
    assert event.status_code == 303

    async def create(session: Any) -> str:
        return await create_api_token(session, await get_user(session, "organizer"))

    return str(await run_in_db(create))


@pytest.fixture
async def api(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client without cookies: only the bearer token speaks for the organizer."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


async def test_the_app_serves_the_document_fuzzed_here(web: WebClient) -> None:
    served = await web.get("/api/v1/openapi.json")
    assert served.json() == build_openapi(BASE_URL)
    assert len(OPERATIONS) >= 8


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.one_of([operation.as_strategy() for operation in OPERATIONS]))
async def test_the_api_never_fails_and_keeps_its_word(
    api: httpx.AsyncClient, token: str, case: Any
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    data = kwargs.get("data")
    raw = isinstance(data, str | bytes)
    response = await api.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        content=data if raw else None,
        data=None if raw else data,
    )
    case.validate_response(response, checks=CHECKS, headers=headers)
