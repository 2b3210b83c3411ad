from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from federation.jsonld import AS_MEDIA_TYPE, LD_MEDIA_TYPE
from federation.webfinger import (
    PROFILE_PAGE_REL,
    WebFingerError,
    build_jrd,
    lookup,
    parse_handle,
    parse_resource,
    self_link,
)

ACTOR = "https://town.example/groups/club"


def test_build_jrd() -> None:
    jrd = build_jrd(
        "acct:club@town.example", ACTOR, "https://town.example/g/club", aliases=[ACTOR, ACTOR]
    )
    assert jrd == {
        "subject": "acct:club@town.example",
        "aliases": [ACTOR],
        "links": [
            {"rel": "self", "type": AS_MEDIA_TYPE, "href": ACTOR},
            {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": "https://town.example/g/club"},
        ],
    }
    assert self_link(jrd) == ACTOR


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("@club@town.example", ("club", "town.example")),
        ("club@Town.Example", ("club", "town.example")),
        ("acct:club@town.example", ("club", "town.example")),
        ("ACCT:Club@town.example.", ("Club", "town.example")),
        (" @club@town.example:8443 ", ("club", "town.example:8443")),
        ("first.last@bücher.example", ("first.last", "xn--bcher-kva.example")),
    ],
)
def test_parse_handle(handle: str, expected: tuple[str, str]) -> None:
    assert parse_handle(handle) == expected


@pytest.mark.parametrize(
    "handle",
    [
        "club",
        "@club",
        "club@",
        "@club@town.example@evil.example",
        "club@2130706433",
        "club@town.example/path",
        "cl ub@town.example",
        "club@user:pw@town.example",
        "",
        "<script>@town.example",
    ],
)
def test_parse_handle_rejects(handle: str) -> None:
    with pytest.raises(ValueError, match="not a handle"):
        parse_handle(handle)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:club@town.example", "club"),
        ("club@town.example", "club"),
        ("@club@TOWN.example", "club"),
        ("acct:club@other.example", None),
        ("acct:club@town.example:8443", None),
        ("https://town.example/groups/club", "club"),
        ("https://town.example/users/alice", "alice"),
        ("https://town.example/@alice", "alice"),
        ("https://town.example/groups/club/posts", None),
        ("https://town.example/events/1", None),
        ("https://other.example/groups/club", None),
        ("mailto:club@town.example", None),
        ("", None),
    ],
)
def test_parse_resource(resource: str, expected: str | None) -> None:
    assert parse_resource(resource, "town.example", base_url="https://town.example") == expected


def test_parse_resource_without_base_url_ignores_urls() -> None:
    assert parse_resource("https://town.example/groups/club", "town.example") is None


def test_parse_resource_with_a_port_in_the_local_domain() -> None:
    assert parse_resource("acct:club@localhost:8000", "localhost:8000") == "club"


def jrd(subject: str, href: str = ACTOR, **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "links": [{"rel": "self", "type": AS_MEDIA_TYPE, "href": href}],
        **extra,
    }


class WebFingerHosts:
    """Answers WebFinger queries from a table of (host, resource) → JRD; logs the queries."""

    def __init__(self, answers: Mapping[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.queries: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/.well-known/webfinger"
        key = (request.url.host, request.url.params["resource"])
        self.queries.append(key)
        if key not in self.answers:
            return httpx.Response(404)
        body = self.answers[key]
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(
            200, content=content, headers={"Content-Type": "application/jrd+json"}
        )


async def resolve(
    answers: Mapping[tuple[str, str], Any], handle: str
) -> tuple[str, list[tuple[str, str]]]:
    hosts = WebFingerHosts(answers)
    async with httpx.AsyncClient(transport=httpx.MockTransport(hosts)) as client:
        return await lookup(client, handle), hosts.queries


async def test_lookup_asks_the_handles_domain() -> None:
    uri, queries = await resolve(
        {("town.example", "acct:club@town.example"): jrd("acct:club@town.example")},
        "@club@town.example",
    )
    assert uri == ACTOR
    assert queries == [("town.example", "acct:club@town.example")]


async def test_subject_matches_case_insensitively() -> None:
    answers = {("town.example", "acct:Club@town.example"): jrd("acct:club@TOWN.example")}
    assert (await resolve(answers, "Club@town.example"))[0] == ACTOR


async def test_an_alias_may_name_the_account() -> None:
    answers = {
        ("town.example", "acct:club@town.example"): jrd(
            "acct:neighbours@town.example", aliases=["acct:club@town.example"]
        )
    }
    assert (await resolve(answers, "club@town.example"))[0] == ACTOR


async def test_a_subject_on_another_domain_must_be_confirmed_there() -> None:
    answers = {
        ("example.org", "acct:club@example.org"): jrd("acct:club@social.example.org"),
        ("social.example.org", "acct:club@social.example.org"): jrd("acct:club@social.example.org"),
    }
    uri, queries = await resolve(answers, "club@example.org")
    assert uri == ACTOR
    assert queries[1] == ("social.example.org", "acct:club@social.example.org")


async def test_an_unconfirmed_subject_is_refused() -> None:
    answers = {
        ("evil.example", "acct:club@evil.example"): jrd(
            "acct:admin@town.example", "https://evil.example/x"
        ),
        ("town.example", "acct:admin@town.example"): jrd("acct:someone-else@town.example"),
    }
    with pytest.raises(WebFingerError, match="does not confirm"):
        await resolve(answers, "club@evil.example")


async def test_a_subject_that_is_not_an_account_is_refused() -> None:
    answers = {("town.example", "acct:club@town.example"): jrd("https://town.example/groups/club")}
    with pytest.raises(WebFingerError, match="is about"):
        await resolve(answers, "club@town.example")


async def test_ld_json_self_links_are_accepted() -> None:
    document = jrd("acct:club@town.example")
    document["links"] = [
        {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": "https://town.example/@club"},
        {"rel": "self", "type": LD_MEDIA_TYPE, "href": ACTOR},
    ]
    assert (
        await resolve({("town.example", "acct:club@town.example"): document}, "club@town.example")
    )[0] == ACTOR


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"links": []}, "no subject"),
        ({"subject": "", "links": []}, "no subject"),
        ({"subject": "acct:club@town.example", "links": {"rel": "self"}}, "no list of links"),
        ({"subject": "acct:club@town.example"}, "no list of links"),
        (
            {
                "subject": "acct:club@town.example",
                "links": [{"rel": "self", "type": "text/html", "href": ACTOR}],
            },
            "no ActivityPub self link",
        ),
        (
            {
                "subject": "acct:club@town.example",
                "links": [{"rel": "self", "type": AS_MEDIA_TYPE, "href": "javascript:alert(1)"}],
            },
            "no ActivityPub self link",
        ),
        ({"subject": "acct:club@town.example", "links": ["self"]}, "no ActivityPub self link"),
        (b"<html>", "valid JSON"),
        (b"[]", "not an object"),
    ],
)
async def test_malformed_jrd_is_an_error(document: Any, message: str) -> None:
    with pytest.raises(WebFingerError, match=message):
        await resolve({("town.example", "acct:club@town.example"): document}, "club@town.example")


async def test_unknown_account_is_an_error() -> None:
    with pytest.raises(WebFingerError, match="does not exist"):
        await resolve({}, "nobody@town.example")


async def test_a_bad_handle_is_an_error_without_a_request() -> None:
    with pytest.raises(WebFingerError, match="not a handle"):
        await resolve({}, "club@127.1")
