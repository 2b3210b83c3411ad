"""Group membership for people on other servers (issue #5), in Mobilizon's vocabulary: Join
of an open group → Accept{Member}; of an approval group → a moderator approves or declines;
of an invite-only group → Reject unless invited (by handle: an Invite plus a direct message;
then a Join or a Mastodon Follow gets in at once). Leave, Remove (with Reject{Follow} for a
follower-member), Update{Member} on a role change, the members collection for members only,
and invitation links for local people."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from server.models import RemoteMember
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer, PeerActor, fetch_public_key, sign_cavage, verify_cavage
from tests.flows.scenes import approve_follow_requests, rows
from tests.web import WebClient

CLUB = "https://b.test/groups/club"
GET_SIGNED = ("(request-target)", "host", "date")


async def _club(net: FederationNet, mode: str) -> Instance:
    b = await net.add("b")
    await b.web.login_as_new("organizer")
    response = await b.web.create_group("club", "Chess Club", membership_mode=mode)
    assert response.status_code == 303, response.text
    return b


async def _deliver(net: FederationNet, peer: Peer, activity: dict[str, Any]) -> None:
    response = await peer.post(net.http, f"{CLUB}/inbox", activity)
    assert response.status_code == 202, response.text
    await net.drain()


def _sent(peer: Peer, kind: str, to: PeerActor) -> list[dict[str, Any]]:
    found = [r.json() for r in peer.posts()]
    return [a for a in found if a["type"] == kind and to.uri in a.get("to", [])]


async def _members(b: Instance) -> dict[str, tuple[str, str]]:
    return {m.actor_uri: (m.state, m.role) for m in await rows(b, RemoteMember)}


async def _act_on(b: Instance, actor: PeerActor, data: dict[str, str]) -> None:
    """The organizer uses the members page on ``actor``'s row."""
    page = (await b.web.get("/groups/club/members")).text
    [member_id] = {m.id for m in await rows(b, RemoteMember, RemoteMember.actor_uri == actor.uri)}
    assert f"/groups/club/remote-members/{member_id}" in page
    response = await b.web.post_form(
        f"/groups/club/remote-members/{member_id}", data, csrf_from="/groups/club/members"
    )
    assert response.status_code == 303, response.text


async def test_a_join_of_an_open_group_gets_a_signed_accept_with_a_member_and_leave_ends_it(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, "open")
    mia = peer.add_actor("mia")
    join = mia.activity("Join", CLUB, to=[CLUB])
    await _deliver(net, peer, join)
    assert await _members(b) == {mia.uri: ("active", "member")}
    [accept] = _sent(peer, "Accept", mia)
    assert (accept["actor"], accept["attributedTo"]) == (CLUB, CLUB)
    member = accept["object"]
    assert member == {
        "id": join["id"],
        "type": "Member",
        "actor": mia.uri,
        "object": CLUB,
        "role": "member",
    }
    [received] = [r for r in peer.posts() if r.json()["type"] == "Accept"]
    assert verify_cavage(received, (await fetch_public_key(net.http, CLUB))[1])

    await _deliver(net, peer, mia.activity("Leave", CLUB, to=[CLUB]))
    assert await _members(b) == {}


async def test_an_approval_group_waits_for_a_moderator_who_approves_or_declines(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, "approval")
    mia, max_ = peer.add_actor("mia"), peer.add_actor("max")
    for person in (mia, max_):
        await _deliver(net, peer, person.activity("Join", CLUB, to=[CLUB]))
    assert await _members(b) == {mia.uri: ("pending", "member"), max_.uri: ("pending", "member")}
    assert not _sent(peer, "Accept", mia)
    page = (await b.web.get("/groups/club/members")).text
    assert "Asking to join from other servers (2)" in page and "@mia@peer.test" in page

    await _act_on(b, mia, {"action": "approve"})
    await _act_on(b, max_, {"action": "decline"})
    await net.drain()
    assert await _members(b) == {mia.uri: ("active", "member")}
    assert _sent(peer, "Accept", mia)[0]["object"]["type"] == "Member"
    [reject] = _sent(peer, "Reject", max_)
    assert "declined your request" in reject["content"]


async def test_an_invite_only_group_lets_in_only_the_invited(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, "invite")
    stranger, ivy, otto = peer.add_actor("stranger"), peer.add_actor("ivy"), peer.add_actor("otto")
    await _deliver(net, peer, stranger.activity("Join", CLUB, to=[CLUB]))
    [reject] = _sent(peer, "Reject", stranger)
    assert "by invitation only" in reject["content"]
    assert await _members(b) == {}

    for handle in ("@ivy@peer.test", "otto@peer.test"):
        response = await b.web.post_form(
            "/groups/club/invite", {"handle": handle}, csrf_from="/groups/club/members"
        )
        assert response.status_code == 303, response.text
    await net.drain()
    [invite] = _sent(peer, "Invite", ivy)
    assert (invite["object"], invite["target"]) == (CLUB, ivy.uri)
    messages = [html.unescape(a["object"]["content"]) for a in _sent(peer, "Create", ivy)]
    assert any("You're invited to join Chess Club" in text for text in messages)
    assert await _members(b) == {ivy.uri: ("invited", "member"), otto.uri: ("invited", "member")}

    await _deliver(net, peer, ivy.activity("Join", CLUB, to=[CLUB]))
    await _deliver(net, peer, otto.activity("Follow", CLUB))  # Mastodon: a follow, accepted at once
    assert await _members(b) == {ivy.uri: ("active", "member"), otto.uri: ("active", "member")}
    assert _sent(peer, "Accept", ivy) and _sent(peer, "Accept", otto)

    missing = await b.web.post_form(
        "/groups/club/invite", {"handle": "@nobody@peer.test"}, csrf_from="/groups/club/members"
    )
    assert missing.status_code == 400 and "couldn" in missing.text


async def test_remove_and_role_changes_reach_the_member(net: FederationNet, peer: Peer) -> None:
    b = await _club(net, "approval")
    mo, mia = peer.add_actor("mo"), peer.add_actor("mia")
    await _deliver(net, peer, mo.activity("Follow", CLUB))  # Mastodon: an approved follow
    await _deliver(net, peer, mia.activity("Join", CLUB, to=[CLUB]))
    assert await approve_follow_requests(b, "club") == 1
    await _act_on(b, mia, {"action": "approve"})
    await net.drain()

    await _act_on(b, mia, {"action": "role", "role": "moderator"})
    await net.drain()
    [update] = _sent(peer, "Update", mia)
    assert (update["object"]["type"], update["object"]["role"]) == ("Member", "moderator")

    await _act_on(b, mo, {"action": "remove"})
    await net.drain()
    [remove] = _sent(peer, "Remove", mo)
    assert (remove["origin"], remove["object"]["actor"]) == (CLUB, mo.uri)
    [reject] = _sent(peer, "Reject", mo)
    assert reject["object"]["type"] == "Follow"
    assert await _members(b) == {mia.uri: ("active", "moderator")}


async def test_the_members_collection_lists_members_for_members_signed_fetches_only(
    net: FederationNet, peer: Peer
) -> None:
    await _club(net, "open")
    mia, eve = peer.add_actor("mia"), peer.add_actor("eve")
    await _deliver(net, peer, mia.activity("Join", CLUB, to=[CLUB]))

    async def fetch(actor: PeerActor | None) -> Any:
        url = f"{CLUB}/members?page=1"
        headers = {"Accept": AS_TYPE}
        if actor is not None:
            headers |= sign_cavage(actor.key, actor.key_id, "GET", url, b"", signed=GET_SIGNED)
        return await net.http.get(url, headers=headers)

    page = await fetch(mia)
    assert page.status_code == 200, page.text
    assert sorted((i["actor"], i["role"]) for i in page.json()["orderedItems"]) == [
        ("https://b.test/users/organizer", "admin"),
        (mia.uri, "member"),
    ]
    for stranger in (eve, None):  # the count, as Mobilizon's refresher needs, but nobody
        answer = await fetch(stranger)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["totalItems"], answer.json()["orderedItems"]) == (2, [])


async def test_an_invitation_link_lets_a_local_person_into_an_invite_only_group(
    net: FederationNet,
) -> None:
    b = await _club(net, "invite")
    page = (await b.web.get("/groups/club/members")).text
    [link] = re.findall(
        r'id="invite-link" type="text" readonly value="https://b\.test([^"]+)"', page
    )
    transport = httpx.ASGITransport(app=b.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://b.test") as client:
        guest = WebClient(client, b.app)
        await guest.login_as_new("gwen")
        refused = await guest.post_form("/groups/club/join", csrf_from="/groups/club")
        assert refused.status_code == 403
        invitation = html.unescape((await guest.get(link)).text)
        assert "You're invited to join Chess Club" in invitation
        assert (await guest.post_form(link, csrf_from=link)).status_code == 303
        assert (await guest.get(link.replace("invitation/", "invitation/x"))).status_code == 404
    assert "@gwen" in (await b.web.get("/groups/club/members")).text
