"""The public directory (home page and ``GET /api/v1/groups``): search by words, tag and
place, pagination, and unlisted groups that are never listed but still reachable."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from server.models import User
from server.services.groups import GroupFields, create_group
from tests.web import WebClient

CARD_RE = re.compile(r'href="/groups/([a-z0-9_-]+)"')


def listed(html: str) -> set[str]:
    """Slugs of the groups a directory page links to."""
    return set(CARD_RE.findall(html)) - {"new"}


async def add_groups(
    run_in_db: Callable[..., Any], owner: User, specs: dict[str, dict[str, Any]]
) -> None:
    async def create(session: Any) -> None:
        for slug, fields in specs.items():
            await create_group(session, slug, GroupFields(**fields), owner)

    await run_in_db(create)


@pytest.fixture
async def neighborhood(web: WebClient, run_in_db: Callable[..., Any]) -> None:
    owner = await web.make_user("alice")
    await add_groups(
        run_in_db,
        owner,
        {
            "repair-cafe": {
                "name": "Repair Café",
                "summary": "We fix toasters",
                "location": "Riverside, Lyon",
                "tags": ["repair", "diy"],
            },
            "seed_swap": {
                "name": "Seed Swap 100%",
                "summary": "Seeds and cuttings",
                "location": "Old Town",
                "tags": ["gardening"],
            },
            "runners": {"name": "Morning Runners", "location": "Riverside", "tags": ["sport"]},
            "secret-club": {
                "name": "Secret Repair Club",
                "summary": "unlisted repair people",
                "location": "Riverside",
                "tags": ["repair"],
                "visibility": "unlisted",
            },
        },
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"repair-cafe", "seed_swap", "runners"}),
        ("q=repair", {"repair-cafe"}),
        ("q=REPAIR+caf", {"repair-cafe"}),
        ("q=toasters", {"repair-cafe"}),
        ("q=seed_", {"seed_swap"}),
        ("q=%25", {"seed_swap"}),
        ("q=_", {"seed_swap"}),
        ("q=nothing+like+this", set()),
        ("tag=repair", {"repair-cafe"}),
        ("tag=%23Gardening", {"seed_swap"}),
        ("tag=garden", set()),
        ("place=riverside", {"repair-cafe", "runners"}),
        ("place=lyon", {"repair-cafe"}),
        ("place=riverside&tag=sport", {"runners"}),
        ("q=runners&place=old+town", set()),
    ],
)
async def test_search_by_words_tag_and_place(
    web: WebClient, neighborhood: None, query: str, expected: set[str]
) -> None:
    page = await web.get(f"/?{query}")
    assert page.status_code == 200
    assert listed(page.text) == expected
    api = await web.get(f"/api/v1/groups?{query}")
    assert {item["slug"] for item in api.json()["items"]} == expected
    assert api.json()["total"] == len(expected)


async def test_an_empty_search_says_so(web: WebClient, neighborhood: None) -> None:
    page = await web.get("/?q=nothing+like+this")
    assert "0 groups found" in page.text
    assert "No group matches yet" in page.text
    assert "3 public groups" in (await web.get("/")).text


async def test_unlisted_groups_are_never_listed_but_reachable(
    web: WebClient, neighborhood: None
) -> None:
    for query in ("", "q=secret", "q=Secret+Repair+Club", "tag=repair", "place=riverside"):
        assert "secret-club" not in listed((await web.get(f"/?{query}")).text), query
        items = (await web.get(f"/api/v1/groups?{query}")).json()["items"]
        assert "secret-club" not in {item["slug"] for item in items}, query
    page = await web.get("/groups/secret-club")
    assert page.status_code == 200
    assert "Secret Repair Club" in page.text
    assert "Unlisted" in page.text
    api = await web.get("/api/v1/groups/secret-club")
    assert api.status_code == 200
    assert api.json()["visibility"] == "unlisted"


async def test_unlisted_groups_are_not_on_profiles(web: WebClient, neighborhood: None) -> None:
    profile = await web.get("/users/alice")
    assert profile.status_code == 200
    assert "repair-cafe" in listed(profile.text)
    assert "secret-club" not in listed(profile.text)


async def test_pagination(web: WebClient, run_in_db: Callable[..., Any]) -> None:
    owner = await web.make_user("alice")
    await add_groups(
        run_in_db,
        owner,
        {f"group-{n:02d}": {"name": f"Group {n:02d}", "tags": ["many"]} for n in range(25)},
    )
    first = await web.get("/?tag=many")
    assert len(listed(first.text)) == 24
    assert "Page 1 of 2" in first.text
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = await web.get("/?tag=many&page=2")
    assert "Page 2 of 2" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    on_second = listed(second.text)
    assert len(on_second) == 1
    assert on_second | listed(first.text) == {f"group-{n:02d}" for n in range(25)}
    assert "group-00" in on_second  # newest first: the oldest group is last

    for bad in ("0", "-1", "abc", "99999"):
        assert listed((await web.get(f"/?tag=many&page={bad}")).text) == listed(first.text)
    beyond = await web.get("/?tag=many&page=3")
    assert beyond.status_code == 200
    assert listed(beyond.text) == set()

    api = (await web.get("/api/v1/groups?tag=many&page=2")).json()
    assert (api["total"], api["page"], api["per_page"]) == (25, 2, 24)
    assert [item["slug"] for item in api["items"]] == ["group-00"]
