"""Lemmy and Mobilizon see a complete group: Lemmy reads the moderators from the collection
``attributedTo`` names; Mobilizon's refresh chain (re-implemented in
``tests.flows.mobilizon_refresher`` from ``refresher.ex``) gets through every collection and
finds the group's public meetups, and the members' list only when a member asks."""

from __future__ import annotations

from typing import Any

import pytest

from server.models import Membership
from server.services.groups import get_group
from server.services.users import get_user
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.mobilizon_refresher import CHAIN, RefreshStopped, refresh_group
from tests.flows.peer import AS_TYPE, Peer, PeerActor, new_key
from tests.flows.scenes import organize_group

CLUB = "https://b.test/groups/club"


async def _club_with_meetups(net: FederationNet) -> Instance:
    b = await net.add("b")
    await organize_group(b, "club")
    for title, visibility in [("Repair café", "public"), ("Members' dinner", "members")]:
        data = {**FORM, "title": title, "visibility": visibility}
        created = await b.web.post_form(
            "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
        )
        assert created.status_code == 303, created.text
    return b


async def _get(net: FederationNet, url: str) -> Any:
    response = await net.http.get(url, headers={"Accept": AS_TYPE})
    assert response.status_code == 200, response.text
    return response.json()


async def test_lemmy_reads_the_moderators_from_attributed_to(net: FederationNet) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    for name in ("mod", "plain"):
        await b.web.make_user(name)

    async def add_members(session: Any) -> None:
        group = await get_group(session, "club")
        for name, role in (("mod", "moderator"), ("plain", "member")):
            user = await get_user(session, name)
            session.add(Membership(group_id=group.id, user_id=user.id, role=role))

    await b.run(add_members)
    group = await _get(net, CLUB)
    # crates/apub/objects/src/utils/protocol.rs: AttributedTo::Lemmy is one URL, the
    # moderators collection; a list of people matches neither variant and is dropped.
    assert isinstance(group["attributedTo"], str)
    moderators = await _get(net, group["attributedTo"])
    # protocol/collections/group_moderators.rs: type, id (on the group's domain, checked by
    # verify_domains_match) and orderedItems inline.
    assert moderators["type"] == "OrderedCollection"
    assert moderators["id"] == group["attributedTo"]
    assert moderators["orderedItems"] == [
        "https://b.test/users/mod",
        "https://b.test/users/organizer",
    ]
    for person in moderators["orderedItems"]:
        assert (await _get(net, person))["type"] == "Person"
    page = await b.web.get("/groups/club/moderators")
    assert page.status_code == 303 and page.headers["location"] == "/groups/club"


async def test_mobilizon_refreshes_the_group_through_every_collection(
    net: FederationNet, peer: Peer
) -> None:
    await _club_with_meetups(net)
    relay = peer.add_actor("relay")  # not a member: Relay.get_actor()
    handled = await refresh_group(net.http, CLUB, relay)
    assert [event["name"] for event in handled["events"]] == ["Repair café"]
    [event] = handled["events"]
    assert (event["type"], event["attributedTo"]) == ("Event", CLUB)
    assert handled["members"] == []  # not a member: the count only
    members = await _get(net, f"{CLUB}/members")
    assert members["totalItems"] == 1
    for name in ("resources", "posts", "todos", "discussions"):
        assert handled[name] == []

    mia = peer.add_actor("mia")
    join = mia.activity("Join", CLUB, to=[CLUB])
    assert (await peer.post(net.http, f"{CLUB}/inbox", join)).status_code == 202
    await net.drain()
    as_member = await refresh_group(net.http, CLUB, mia)  # get_single_group_member_actor
    assert sorted(item["actor"] for item in as_member["members"]) == [
        "https://b.test/users/organizer",
        mia.uri,
    ]


async def test_the_refresh_chain_works_with_authorized_fetch_and_stops_where_mobilizon_would(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b", federation={"authorized_fetch": True})
    await organize_group(b, "club")
    relay = peer.add_actor("relay")
    handled = await refresh_group(net.http, CLUB, relay)
    assert list(handled) == list(CHAIN)
    unsigned = await net.http.get(f"{CLUB}/events", headers={"Accept": AS_TYPE})
    assert unsigned.status_code == 401
    # Signed with a key the actor's document does not serve: refused, the chain stops at once.
    impostor = PeerActor(peer.host, "relay", key=new_key())
    with pytest.raises(RefreshStopped) as stopped:
        await refresh_group(net.http, CLUB, impostor)
    assert stopped.value.args == ("actor", "http_error")
