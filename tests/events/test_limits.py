"""The limits of ``server.limits`` are the ones a person meets everywhere: the meetup form
carries them as ``maxlength``/``min``/``max``, the web form and the API refuse one character
(or one seat) more and accept the limit itself, and the OpenAPI document states them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from server import limits
from tests.events.conftest import Organizer
from tests.events.test_events_api import MEETUP, _token
from tests.web import WebClient


def _attribute(html: str, name: str, attribute: str) -> str:
    """The value of ``attribute`` on the form control named ``name``."""
    tag = re.search(rf'<(?:input|textarea)[^>]*\bname="{name}"[^>]*>', html)
    assert tag is not None, name
    found = re.search(rf'\b{attribute}="([^"]*)"', tag.group(0))
    assert found is not None, (name, attribute)
    return found.group(1)


async def test_the_meetup_form_carries_the_limits(organizer: Organizer, web: WebClient) -> None:
    page = (await web.get("/groups/club/events/new")).text
    assert _attribute(page, "title", "maxlength") == str(limits.EVENT_TITLE.maximum) == "200"
    assert _attribute(page, "description", "maxlength") == "10000"
    assert _attribute(page, "capacity", "min") == "1"
    assert _attribute(page, "capacity", "max") == "100000"
    assert _attribute(page, "venue_name", "maxlength") == str(limits.VENUE_NAME.maximum)


@pytest.mark.parametrize(
    ("field", "at_limit", "over"),
    [
        ("title", "t" * 200, "t" * 201),
        ("description", "d" * 10_000, "d" * 10_001),
        ("capacity", 100_000, 100_001),
        ("postal_code", "9" * 20, "9" * 21),
    ],
)
async def test_form_and_api_refuse_one_more(
    organizer: Organizer, web: WebClient, field: str, at_limit: Any, over: Any
) -> None:
    assert (await organizer.create_event(**{field: at_limit})).status_code == 303
    refused = await organizer.create_event(**{field: over})
    assert refused.status_code == 400
    auth = await _token(web, "organizer")
    path = "/api/v1/groups/club/events"
    accepted = await web.client.post(path, json={**MEETUP, field: at_limit}, headers=auth)
    assert accepted.status_code == 201, accepted.text
    answer = await web.client.post(path, json={**MEETUP, field: over}, headers=auth)
    assert answer.status_code == 400
    assert field in answer.text


async def test_the_openapi_document_states_the_same_limits(web: WebClient) -> None:
    schemas = (await web.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    event = schemas["EventIn"]["properties"]
    assert event["title"]["maxLength"] == limits.EVENT_TITLE.maximum
    assert event["title"]["minLength"] == 1
    assert event["description"]["maxLength"] == limits.EVENT_DESCRIPTION.maximum
    capacity = next(s for s in event["capacity"]["anyOf"] if s.get("type") == "integer")
    assert (capacity["minimum"], capacity["maximum"]) == (1, limits.CAPACITY.maximum)
    assert schemas["JoinMode"]["enum"] == ["free", "restricted", "invite", "external"]
    assert schemas["GroupIn"]["properties"]["name"]["maxLength"] == limits.GROUP_NAME.maximum
    assert schemas["PostIn"]["properties"]["content"]["maxLength"] == limits.POST.maximum
    assert schemas["ProposalIn"]["properties"]["title"]["maxLength"] == 200
