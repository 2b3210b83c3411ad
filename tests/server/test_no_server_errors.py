"""Arbitrary input never gets a 5xx: forms (sign-up, login, group creation) and the API's
group creation are fed generated text, binary and broken bodies; whatever is refused
writes nothing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.server.db_access import Snapshot
from tests.web import WebClient

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SIGNUP_FIELDS = ["username", "email", "password", "display_name", "reason", "invite"]
LOGIN_FIELDS = ["login", "password", "next"]
GROUP_FIELDS = [
    "slug",
    "name",
    "summary",
    "location",
    "latitude",
    "longitude",
    "tags",
    "visibility",
    "membership_mode",
    "remove_avatar",
]
FORM_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "application/json",
]

texts = st.text(max_size=120) | st.sampled_from(
    ["", "admin", "a" * 31, "alice", "alice@example.org", "a long enough password", "\x00", "nan"]
)


@dataclass(frozen=True)
class FormRequest:
    """One generated submission: fields, maybe a file part, or a raw body."""

    fields: dict[str, str]
    file: tuple[str, bytes] | None = None
    raw: tuple[str, bytes] | None = None


def form_requests(names: list[str]) -> st.SearchStrategy[FormRequest]:
    fields = st.dictionaries(st.sampled_from(names) | st.text(max_size=20), texts, max_size=12)
    files = st.tuples(
        st.sampled_from(["avatar", "banner", "username", "x"]), st.binary(max_size=300)
    )
    raw = st.tuples(st.sampled_from(FORM_TYPES), st.binary(max_size=300))
    return st.one_of(
        st.builds(FormRequest, fields),
        st.builds(FormRequest, fields, file=files),
        st.builds(FormRequest, fields, raw=raw),
    )


async def submit(web: WebClient, path: str, request: FormRequest) -> httpx.Response:
    """Send the generated form, with this session's CSRF token (so it reaches the handler)."""
    token = await web.csrf("/login")
    if request.raw is not None:
        content_type, body = request.raw
        return await web.client.post(path, content=body, headers={"Content-Type": content_type})
    data = {**request.fields, "csrf_token": token}
    if request.file is not None:
        name, content = request.file
        return await web.client.post(path, data=data, files={name: ("f.bin", content)})
    return await web.client.post(path, data=data)


async def check(
    response: httpx.Response, before: Snapshot, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert await snapshot() == before


@EXAMPLES
@given(request=form_requests(SIGNUP_FIELDS))
async def test_signup_never_fails_on_our_side(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]], request: FormRequest
) -> None:
    before = await snapshot()
    await check(await submit(web, "/signup", request), before, snapshot)


@EXAMPLES
@given(request=form_requests(LOGIN_FIELDS))
async def test_login_never_fails_on_our_side(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]], request: FormRequest
) -> None:
    before = await snapshot()
    await check(await submit(web, "/login", request), before, snapshot)


@pytest.fixture
async def organizer(web: WebClient) -> WebClient:
    """``web``, signed in (once for all the examples of a test)."""
    await web.login_as_new("alice")
    return web


@pytest.fixture
async def api_token(web: WebClient, run_in_db: Callable[..., Any]) -> dict[str, str]:
    """Headers with the API token of an account."""
    await web.make_user("alice")

    async def token(session: Any) -> str:
        return await create_api_token(session, await get_user(session, "alice"))

    return {"Authorization": f"Bearer {await run_in_db(token)}"}


@EXAMPLES
@given(request=form_requests(GROUP_FIELDS))
async def test_group_creation_never_fails_on_our_side(
    organizer: WebClient, snapshot: Callable[[], Awaitable[Snapshot]], request: FormRequest
) -> None:
    web = organizer
    before = await snapshot()
    await check(await submit(web, "/groups/new", request), before, snapshot)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
group_objects = st.dictionaries(
    st.sampled_from(
        [
            "slug",
            "name",
            "summary",
            "location",
            "latitude",
            "longitude",
            "tags",
            "visibility",
            "membership_mode",
        ]
    )
    | st.text(max_size=10),
    json_values,
    max_size=10,
)
api_bodies = (
    group_objects.map(lambda value: ("application/json", json.dumps(value).encode()))
    | json_values.map(lambda value: ("application/json", json.dumps(value).encode()))
    | st.tuples(st.sampled_from(["application/json", "text/plain", ""]), st.binary(max_size=300))
)


@EXAMPLES
@given(body=api_bodies)
async def test_api_group_creation_never_fails_on_our_side(
    web: WebClient,
    api_token: dict[str, str],
    snapshot: Callable[[], Awaitable[Snapshot]],
    body: tuple[str, bytes],
) -> None:
    content_type, content = body
    before = await snapshot()
    response = await web.client.post(
        "/api/v1/groups", content=content, headers={**api_token, "Content-Type": content_type}
    )
    await check(response, before, snapshot)
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}


# PostgreSQL refuses NUL characters in text, so each way in for one is closed explicitly.

NUL_ADDRESSES = [
    "/groups/club%00",
    "/groups/%00/members",
    "/groups/%00/followers",
    "/users/%00",
    "/activities/%00",
    "/reset/%00",
    "/?q=%00",
    "/?tag=a%00",
    "/?place=%00",
    "/api/v1/groups?q=%00",
    "/api/v1/groups/%00",
    "/.well-known/webfinger?resource=acct:%00@localhost:8000",
]


@pytest.mark.parametrize("path", NUL_ADDRESSES)
async def test_a_nul_in_the_address_is_400(organizer: WebClient, path: str) -> None:
    response = await organizer.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["error"] == "bad_request"


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/login", {"login": "alice\x00", "password": "x"}),
        (
            "/signup",
            {
                "username": "bob",
                "email": "b@x.example",
                "password": "long enough!",
                "display_name": "B\x00b",
            },
        ),
        ("/groups/new", {"slug": "club", "name": "Club\x00"}),
        ("/reset", {"login": "\x00"}),
        ("/groups/club/join", {"x": "\x00"}),
    ],
)
async def test_a_nul_in_a_form_is_400(
    organizer: WebClient,
    snapshot: Callable[[], Awaitable[Snapshot]],
    path: str,
    fields: dict[str, str],
) -> None:
    before = await snapshot()
    response = await organizer.post_form(path, fields, csrf_from="/")
    assert response.status_code == 400
    assert "NUL character" in response.text
    assert await snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"slug": "club", "name": "Club\u0000"},
        {"slug": "club", "name": "C", "tags": ["\u0000"]},
        {"slug": "club", "name": "C", "\u0000": 1},
    ],
)
async def test_a_nul_in_api_json_is_400(
    web: WebClient,
    api_token: dict[str, str],
    snapshot: Callable[[], Awaitable[Snapshot]],
    body: dict[str, Any],
) -> None:
    before = await snapshot()
    response = await web.client.post("/api/v1/groups", json=body, headers=api_token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert await snapshot() == before
