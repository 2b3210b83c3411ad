"""The actor documents peers read: the Group with every field Mastodon and Mobilizon use,
the Person, the instance Application; content negotiation on the same URLs; and the
followers / following / outbox collections, paged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from server.models import Follow, Group
from tests.federation_net import FederationNet, Instance
from tests.flows.scenes import post_as_group

AS = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
CONTEXTS = ("https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1")
CLUB = "https://b.test/groups/club"


async def _club(net: FederationNet, mode: str = "approval", **fields: Any) -> Instance:
    b = await net.add("b")
    await b.web.login_as_new("organizer")
    response = await b.web.create_group("club", "Book Club", membership_mode=mode, **fields)
    assert response.status_code == 303, response.text
    return b


async def _get_json(net: FederationNet, url: str, accept: str = AS) -> dict[str, Any]:
    response = await net.http.get(url, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(AS)
    assert "PRIVATE" not in response.text.upper()
    document = response.json()
    assert document["id"] == url.split("?")[0] or "page=" in url
    return document  # type: ignore[no-any-return]


def _check_key(document: dict[str, Any]) -> None:
    assert all(context in document["@context"] for context in CONTEXTS)
    key = document["publicKey"]
    assert key["id"] == f"{document['id']}#main-key"
    assert key["owner"] == document["id"]
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


async def test_group_actor_has_every_field_peers_read(net: FederationNet) -> None:
    b = await _club(
        net,
        summary="We **read** <script>alert(1)</script>",
        location="Town library",
        latitude="45.76",
        longitude="4.84",
    )

    async def add_images(session: Any) -> None:
        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        group.avatar, group.banner = "avatar.png", "banner.png"
        session.add(group)

    await b.run(add_images)
    group = await _get_json(net, CLUB)

    _check_key(group)
    assert (group["type"], group["preferredUsername"], group["name"]) == (
        "Group",
        "club",
        "Book Club",
    )
    assert "<strong>read</strong>" in group["summary"] and "<script" not in group["summary"]
    assert group["url"] == CLUB
    for name in ("inbox", "outbox", "followers", "following", "members"):
        assert group[name] == f"{CLUB}/{name}"
    assert group["endpoints"]["sharedInbox"] == "https://b.test/inbox"
    assert group["manuallyApprovesFollowers"] is True
    assert (group["discoverable"], group["indexable"]) == (True, True)
    assert group["published"].endswith("Z")
    assert group["icon"] == {"type": "Image", "url": "https://b.test/media/avatar.png"}
    assert group["image"] == {"type": "Image", "url": "https://b.test/media/banner.png"}
    assert (group["memberCount"], group["openness"]) == (1, "moderated")
    assert group["attributedTo"] == f"{CLUB}/moderators"
    assert group["location"]["type"] == "Place" and group["location"]["name"] == "Town library"
    assert {"type": "PropertyValue", "name": "Place", "value": "Town library"} in group[
        "attachment"
    ]


@pytest.mark.parametrize(
    ("mode", "openness", "manual"), [("open", "open", False), ("invite", "invite_only", True)]
)
async def test_group_openness_follows_its_membership_mode(
    net: FederationNet, mode: str, openness: str, manual: bool
) -> None:
    await _club(net, mode=mode)
    group = await _get_json(net, CLUB)
    assert (group["openness"], group["manuallyApprovesFollowers"]) == (openness, manual)
    assert "icon" not in group and "image" not in group


@pytest.mark.parametrize("accept", [AS, LD, "application/ld+json"])
async def test_same_url_serves_json_ld_to_servers(net: FederationNet, accept: str) -> None:
    await _club(net)
    assert (await _get_json(net, CLUB, accept))["type"] == "Group"
    assert (await _get_json(net, "https://b.test/users/organizer", accept))["type"] == "Person"


@pytest.mark.parametrize(
    "accept",
    ["text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*", ""],
)
async def test_same_url_serves_html_to_browsers(net: FederationNet, accept: str) -> None:
    await _club(net)
    for url in (CLUB, "https://b.test/users/organizer"):
        response = await net.http.get(url, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "<html" in response.text


async def test_person_actor(net: FederationNet) -> None:
    await _club(net)
    person = await _get_json(net, "https://b.test/users/organizer")
    _check_key(person)
    assert (person["type"], person["preferredUsername"]) == ("Person", "organizer")
    assert person["inbox"] == "https://b.test/users/organizer/inbox"
    assert person["endpoints"]["sharedInbox"] == "https://b.test/inbox"


async def test_inactive_user_has_no_actor(net: FederationNet) -> None:
    b = await net.add("b")
    await b.web.make_user("waiting", state="pending")
    response = await net.http.get("https://b.test/users/waiting", headers={"Accept": AS})
    assert response.status_code == 404


async def test_instance_actor_is_an_application(net: FederationNet) -> None:
    await net.add("b")
    actor = await _get_json(net, "https://b.test/actor")
    _check_key(actor)
    assert actor["type"] == "Application"
    assert actor["inbox"] == "https://b.test/actor/inbox"
    again = await _get_json(net, "https://b.test/actor")
    assert again["publicKey"] == actor["publicKey"]  # made once, then kept


async def test_followers_are_paged_with_total_items(net: FederationNet) -> None:
    b = await _club(net, mode="open")
    accepted = [f"https://peer{i}.test/users/u{i}" for i in range(120)]

    async def insert(session: Any) -> None:
        for uri in accepted:
            session.add(Follow(follower_uri=uri, followee_uri=CLUB, state="accepted"))
        for i in range(5):
            session.add(
                Follow(
                    follower_uri=f"https://wait.test/users/w{i}", followee_uri=CLUB, state="pending"
                )
            )

    await b.run(insert)
    collection = await _get_json(net, f"{CLUB}/followers")
    assert (collection["type"], collection["totalItems"]) == ("OrderedCollection", 120)

    seen: list[str] = []
    url: str | None = collection["first"]
    pages = 0
    while url:
        page = await _get_json(net, url)
        assert (page["type"], page["partOf"], page["totalItems"]) == (
            "OrderedCollectionPage",
            f"{CLUB}/followers",
            120,
        )
        assert len(page["orderedItems"]) <= 50
        assert ("prev" in page) == (pages > 0)
        seen += page["orderedItems"]
        url = page.get("next")
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(accepted)


async def test_following_and_outbox_collections(net: FederationNet) -> None:
    b = await _club(net, mode="open")
    await post_as_group(b, "club", "Public *news*")
    await post_as_group(b, "club", "Members only", visibility="followers")

    following = await _get_json(net, f"{CLUB}/following")
    assert (following["type"], following["totalItems"]) == ("OrderedCollection", 0)
    assert (await _get_json(net, following["first"]))["orderedItems"] == []

    outbox = await _get_json(net, f"{CLUB}/outbox")
    assert (outbox["type"], outbox["totalItems"]) == ("OrderedCollection", 1)
    [create] = (await _get_json(net, outbox["first"]))["orderedItems"]
    assert (create["type"], create["actor"], create["object"]["type"]) == ("Create", CLUB, "Note")
    assert "<em>news</em>" in create["object"]["content"]
    note = await _get_json(net, create["object"]["id"])
    assert note["attributedTo"] == CLUB

    user = await _get_json(net, "https://b.test/users/organizer/followers")
    assert user["totalItems"] == 0
