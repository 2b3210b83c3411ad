"""Collections: Hearth never crawls a remote collection (no followers/outbox/replies paging
is fetched — nothing to loop on; see SECURITY.md), so the risks are on our side: hostile page
numbers never turn into a 500, a huge offset or a loop, every page is bounded, and walking
``next`` from ``first`` ends, in as many pages as ``totalItems`` says."""

from __future__ import annotations

import pytest

from server.db import utcnow
from server.models import Follow
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE
from tests.flows.scenes import organize_group
from tests.security.harness import Watch, activity_json

FOLLOWERS = 120  # PAGE_SIZE is 50: three pages


async def _club_with_followers(net: FederationNet) -> Instance:
    b = await net.add("b")
    group = await organize_group(b, "club")

    async def add(session: object) -> None:
        for number in range(FOLLOWERS):
            session.add(  # type: ignore[attr-defined]
                Follow(
                    follower_uri=f"https://peer.test/users/u{number}",
                    followee_uri=group,
                    activity_uri=f"https://peer.test/follows/{number}",
                    state="accepted",
                    updated_at=utcnow(),
                )
            )

    await b.run(add)
    return b


PAGES = ["0", "-1", "99999999999999999999", "1e9", "abc", "", "1;DROP TABLE follows", "2%00", "١"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("path", ["followers", "following", "outbox"])
async def test_hostile_page_numbers_are_answered_calmly(
    net: FederationNet, page: str, path: str
) -> None:
    b = await _club_with_followers(net)
    watch = await Watch.start(net, b)
    response = await net.http.get(
        f"https://b.test/groups/club/{path}?page={page}", headers={"Accept": AS_TYPE}
    )
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code == 200:
        assert len(activity_json(response).get("orderedItems", [])) <= 50
    await watch.assert_untouched()


async def test_walking_next_from_first_ends(net: FederationNet) -> None:
    b = await _club_with_followers(net)
    url = activity_json(
        await net.http.get("https://b.test/groups/club/followers", headers={"Accept": AS_TYPE})
    )["first"]
    seen: list[str] = []
    pages = 0
    while url and pages < 10:
        document = activity_json(await net.http.get(url, headers={"Accept": AS_TYPE}))
        seen += document["orderedItems"]
        url = document.get("next")
        pages += 1
    assert pages == 3 and url is None
    assert len(seen) == len(set(seen)) == FOLLOWERS
    assert b.settings.instance.domain == "b.test"


HUGE = "9" * 30
NUMBERED = [
    f"/events/{HUGE}",
    f"/events/{HUGE}.ics",
    f"/events/{HUGE}/flyer",
    f"/groups/club/posts/{HUGE}",
    f"/api/v1/events/{HUGE}",
    f"/events/{2**63}",
    f"/groups/club/posts/{2**63}",
    f"/events/{2**31}",
    f"/events/{2**31}.ics",
    f"/api/v1/events/{2**31}",
    f"/groups/club/posts/{2**31}",
]


@pytest.mark.parametrize("path", NUMBERED)
@pytest.mark.parametrize("accept", ["text/html", AS_TYPE])
async def test_ids_no_row_can_have_are_a_404(net: FederationNet, path: str, accept: str) -> None:
    b = await _club_with_followers(net)
    watch = await Watch.start(net, b)
    response = await b.web.get(path, headers={"Accept": accept})
    await watch.assert_untouched(response, 404)
