"""Every route of the app (web, API, ActivityPub: enumerated from ``app.routes``), signed in
as the owner of a group with a meetup, a post and a proposal, is sent hostile ids, pages,
numbers, dates, zones and JSON: in the path, the query, a form and a JSON body. Any 5xx
fails (issue #15: ``²`` passing ``str.isdigit``, 5,000-digit numbers, year 9999, deep JSON).

Each request is built by hand from a list of scenarios (one per class of bad value), and
hypothesis adds a few mixed requests per route; the whole sweep takes seconds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from server.config import Settings
from server.services.credentials import create_api_token
from server.services.users import get_user
from server.web.event_forms import FIELD_NAMES
from tests.web import WebClient

HUGE = "9" * 5000
DEEP = "[" * 100_000 + "]" * 100_000

# One scenario per class of hostile value: what goes in ids, in dates, in times and elsewhere.
SCENARIOS: dict[str, dict[str, str]] = {
    "non-ASCII digits": {"id": "²", "date": "2030-01-0١", "time": "1٠:00", "text": "²"},
    "huge number": {"id": HUGE, "date": HUGE, "time": HUGE, "text": HUGE},
    "negative, year 1": {"id": "-1", "date": "0001-01-01", "time": "-1:00", "text": "-1"},
    "past 64 bits": {"id": str(2**64), "date": "2030-01-01", "time": "10:00", "text": str(2**64)},
    "year 9999": {"id": "1", "date": "9999-12-31", "time": "23:59", "text": "9999-12-31"},
    "float words": {"id": "1e999", "date": "nan", "time": "inf", "text": "nan"},
}
DATE_FIELDS = {"start_date", "end_date", "until", "from", "to", "date", "day", "closes_at"}
TIME_FIELDS = {"start_time", "end_time", "time"}
# What the rest of a form holds, so that a hostile value reaches the code past the first check.
PLAIN = {
    "title": "Board games",
    "name": "Board games",
    "timezone": "UTC",
    "repeat": "weekly",
    "visibility": "public",
    "join_mode": "free",
    "status": "going",
    "answer": "going",
}
FORM_FIELDS = sorted(
    {*FIELD_NAMES, *DATE_FIELDS, *TIME_FIELDS, "page", "id", "count", "interval", "max_uses"}
    | {"remind_minutes", "participation_id", "post_id", "block_id", "member_id", "follow_id"}
    | {"latitude", "longitude", "option", "code", "otc", "action", "role", "closes_in_days"}
)
JSON_KEYS = [
    "title", "starts_at", "ends_at", "timezone", "all_day", "status", "capacity", "page",
    "latitude", "longitude", "recurrence", "until", "count", "interval", "option", "code",
    "closes_at", "name", "summary", "visibility", "description", "answer", "role",
]  # fmt: skip
JSON_VALUES = [
    "null", '"²"', HUGE, str(2**64), '"9999-12-31T23:59:00Z"', '"9999-12-31"', '"localtime"',
    "[]",
]  # fmt: skip
# Query parameters routes read (grep query_params in server/), each given the hostile value.
QUERY_KEYS = ["page", "from", "to", "id", "before", "timezone", "limit", "unread", "tag"]
# Routes that end the session or remove the fixtures go last.
LAST = re.compile(r"delete|remove|leave|logout|cancel|reset")


def value_for(field: str, scenario: dict[str, str]) -> str:
    if field in DATE_FIELDS:
        return scenario["date"]
    if field in TIME_FIELDS:
        return scenario["time"]
    if field.endswith("_id") or field in {"id", "page", "before", "limit", "count", "interval"}:
        return scenario["id"]
    return PLAIN.get(field, scenario["text"])


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), values["*"]), self.path)


def endpoints(app: Any) -> list[Endpoint]:
    found = [
        Endpoint(route.path, method)
        for route in app.routes
        if isinstance(route, Route)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    return sorted(
        found,
        key=lambda e: (bool(LAST.search(e.path)) or e.method == "DELETE", e.path == "/logout"),
    )


@dataclass
class Owner:
    web: WebClient
    token: str
    real: dict[str, str]
    token_seen: str = ""

    async def csrf(self) -> str:
        """This session's CSRF token (it lasts as long as the session)."""
        if not self.token_seen:
            self.token_seen = await self.web.csrf("/groups/club")
        return self.token_seen

    async def send(
        self, endpoint: Endpoint, path_values: dict[str, str], query: str, body: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        url = endpoint.url(path_values) + query
        client = self.web.client
        if endpoint.method == "GET":
            return await client.get(url, headers=headers)
        if isinstance(body, dict):
            return await client.request(endpoint.method, url, data=body, headers=headers)
        headers["Content-Type"] = "application/json"
        return await client.request(endpoint.method, url, content=body, headers=headers)


@pytest.fixture
async def owner(app: Any, settings: Settings, run_in_db: Any) -> Any:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        web = WebClient(client, app)
        await web.login_as_new("owner", is_admin=True)
        assert (await web.create_group("club", "Club")).status_code == 303
        event = await web.post_form(
            "/groups/club/events/new",
            {"title": "Meetup", "start_date": "2030-05-04", "start_time": "14:00",
             "end_time": "16:00", "timezone": "UTC", "join_mode": "free",
             "visibility": "public", "repeat": "none"},
            csrf_from="/groups/club/events/new",
        )  # fmt: skip
        assert event.status_code == 303, event.text
        event_id = event.headers["location"].rsplit("/", 1)[1]
        post = await web.post_form(
            "/groups/club/posts", {"content": "Hello"}, csrf_from="/groups/club"
        )
        post_id = post.headers.get("location", "/1").rsplit("/", 1)[1].split("#")[0]

        async def token(session: Any) -> str:
            return await create_api_token(session, await get_user(session, "owner"))

        real = {
            "*": "1", "slug": "club", "name": "club", "username": "owner",
            "event_id": event_id, "post_id": post_id if post_id.isdigit() else "1",
            "version": "2.0",
        }  # fmt: skip
        yield Owner(web, await run_in_db(token), real)


#: Ids put in the path (one request each): a digit ``int`` refuses, past every limit, past 64 bits.
HOSTILE_IDS = ["²", HUGE, str(2**64)]
#: Scenarios whose values go in forms and query strings with real ids (the rest are drawn by
#: the hypothesis test below).
FORM_SCENARIOS = ["non-ASCII digits", "huge number", "year 9999"]
#: GET query strings: every parameter hostile at once (list pages ignore bad values, so one
#: does not hide another).
QUERIES = [
    {"page": "²", "from": "2030-01-0١", "to": "9999-12-31", "before": HUGE, "limit": "-1",
     "timezone": "localtime", "unread": "²", "tag": HUGE, "id": "²"},
    {"page": HUGE, "from": "9999-12-31", "to": "0001-01-01", "before": str(2**64),
     "limit": HUGE, "timezone": "nan", "unread": "1e999", "tag": "²", "id": "-1"},
]  # fmt: skip


def requests_for(owner: Owner, endpoint: Endpoint) -> Iterator[tuple[dict[str, str], str, Any]]:
    """(path values, query string, body): hostile ids in the path; with real ids, hostile
    query strings (GET), forms (web) and JSON bodies (the API and the inboxes)."""
    takes_json = endpoint.path.startswith("/api/") or endpoint.path.endswith("inbox")
    params = set(re.findall(r"\{(\w+)", endpoint.path))
    has_ids = any(name not in owner.real or name.endswith("_id") for name in params)
    queries = ["?" + "&".join(f"{k}={v}" for k, v in query.items()) for query in QUERIES]
    if has_ids:
        for value in HOSTILE_IDS:
            hostile = {**owner.real, "*": value}
            hostile.update({key: value for key in owner.real if key.endswith("_id")})
            yield hostile, queries[0], {}
    if endpoint.method == "GET":
        for query in queries:
            yield owner.real, query, {}
        return
    if not takes_json:
        for name in FORM_SCENARIOS:
            scenario = SCENARIOS[name]
            yield owner.real, "", {field: value_for(field, scenario) for field in FORM_FIELDS}
        return
    for value in JSON_VALUES:
        body = "{" + ", ".join(f'"{key}": {value}' for key in JSON_KEYS) + "}"
        yield owner.real, "", body
    yield owner.real, "", DEEP
    yield owner.real, "", '{"title": ' + DEEP + "}"
    yield owner.real, "", '{"title": null}'


def failure(endpoint: Endpoint, response: httpx.Response) -> str | None:
    if response.status_code < 500:
        return None
    return f"{endpoint.method} {response.request.url.raw_path[:120]!r}: {response.status_code}"


async def test_no_route_answers_a_5xx_to_hostile_values(owner: Owner, app: Any) -> None:
    """Routes that change nothing lasting run a few at a time (the run is bound by waiting
    on the database, PostgreSQL's round trips most of all); those that end the session or
    remove the fixtures run last, one after another."""
    failures: list[str] = []
    token = await owner.csrf()

    async def sweep(endpoint: Endpoint) -> None:
        for path_values, query, body in requests_for(owner, endpoint):
            if isinstance(body, dict):
                body = {**body, "csrf_token": token}
            response = await owner.send(endpoint, path_values, query, body)
            if (found := failure(endpoint, response)) is not None:
                failures.append(found)

    every = endpoints(app)
    harmless = [e for e in every if not (LAST.search(e.path) or e.method == "DELETE")]
    slots = asyncio.Semaphore(6)

    async def guarded(endpoint: Endpoint) -> None:
        async with slots:
            await sweep(endpoint)

    await asyncio.gather(*(guarded(endpoint) for endpoint in harmless))
    for endpoint in every[len(harmless) :]:
        await sweep(endpoint)
    assert not failures, "\n".join(sorted(failures))


hostile_texts = st.sampled_from(
    [scenario[kind] for scenario in SCENARIOS.values() for kind in ("id", "date", "text")]
) | st.text(max_size=12)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_mixed_hostile_requests_get_no_5xx(owner: Owner, app: Any, data: Any) -> None:
    endpoint = data.draw(st.sampled_from([e for e in endpoints(app) if not LAST.search(e.path)]))
    hostile = data.draw(st.dictionaries(
        st.sampled_from(["*", "event_id", "post_id", "slug"]), hostile_texts, max_size=2
    ))  # fmt: skip
    path_values = {**owner.real, **{key: quote(value, safe="") for key, value in hostile.items()}}
    query = "?" + "&".join(
        f"{key}={quote(value)}"
        for key, value in data.draw(
            st.dictionaries(st.sampled_from(QUERY_KEYS), hostile_texts)
        ).items()
    )
    if data.draw(st.booleans()):
        form = data.draw(st.dictionaries(st.sampled_from(FORM_FIELDS), hostile_texts))
        body: Any = {**PLAIN, **form, "csrf_token": await owner.csrf()}
    else:
        values = data.draw(
            st.dictionaries(st.sampled_from(JSON_KEYS), st.sampled_from(JSON_VALUES))
        )
        body = "{" + ", ".join(f'"{key}": {value}' for key, value in values.items()) + "}"
    response = await owner.send(endpoint, path_values, query, body)
    assert failure(endpoint, response) is None, response.text[:300]
