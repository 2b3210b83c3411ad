"""Admins keeping the instance safe (issue #6): suspending a domain (403 at the inbox, its
followers dropped, nothing delivered there — at once, no restart), silencing one (groups do
not relay it), blocking an account, reports in (Flag) and out (a Flag from the instance
actor that the other server can verify), suspended groups, rate limits (429 with
Retry-After), and the audit log; non-admins get 403 on every admin page."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.remote import RemoteError
from server.activitypub.runtime import runtime_of
from server.models import Delivery, Follow, Group, Membership, RelayedPost, Report, User
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor, fetch_public_key, verify_cavage
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows

CLUB = "https://b.test/groups/club"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _club(net: FederationNet, peer: Peer, **sections: Any) -> tuple[Instance, PeerActor]:
    """B's club followed by mo on the peer; the signed-in user is then an instance admin."""
    b = await net.add("b", **sections)
    await organize_group(b, "club")
    mo = peer.add_actor("mo")
    await follow_from_peer(net, peer, mo, b, "club")
    await b.web.logout()
    await b.web.login_as_new("root", is_admin=True)
    peer.received.clear()
    return b, mo


BACK = "/admin/federation"


async def _admin(b: Instance, path: str, data: dict[str, str], page: str) -> str:
    response = await b.web.post_form(path, data, csrf_from=page)
    assert response.status_code == 303, response.text
    return html.unescape((await b.web.get(response.headers["location"])).text)


def _mention(actor: PeerActor, number: int) -> dict[str, Any]:
    note = {
        "id": f"{actor.uri}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor.uri,
        "content": "<p>@club hello</p>",
        "to": [PUBLIC],
        "cc": [CLUB],
        "tag": [{"type": "Mention", "href": CLUB}],
    }
    return actor.activity("Create", note, to=[PUBLIC], cc=[CLUB])


async def test_a_suspended_domain_is_refused_dropped_and_never_delivered_to(
    net: FederationNet, peer: Peer
) -> None:
    b, mo = await _club(net, peer)
    suspension = {"domain": "Peer.Test", "action": "suspend", "note": "spam wave"}
    # One click only asks (no JavaScript needed): nothing is suspended yet.
    asked = await b.web.post_form("/admin/federation/domains", suspension, csrf_from=BACK)
    assert asked.status_code == 200
    assert "Suspend Peer.Test?" in html.unescape(asked.text)
    assert '<input type="hidden" name="confirm" value="yes">' in asked.text
    assert len(await rows(b, Follow)) == 1
    page = await _admin(
        b, "/admin/federation/domains", {**suspension, "confirm": "yes"}, "/admin/federation"
    )
    assert "peer.test is suspended: 1 follower(s) from there were removed." in page
    assert await rows(b, Follow) == []
    refused = await peer.post(net.http, f"{CLUB}/inbox", mo.activity("Follow", CLUB))
    assert refused.status_code == 403

    async def promote(session: Any) -> None:  # the admin posts as the group too
        root = (await session.exec(select(User).where(User.username == "root"))).one()
        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        session.add(Membership(group_id=group.id, user_id=root.id, role="admin"))

    await b.run(promote)
    await post_as_group(b, "club", "After the suspension")
    await net.drain()
    assert peer.posts() == []
    assert {d.host for d in await rows(b, Delivery)} <= {"peer.test"}  # the old Accept only

    audit = html.unescape((await b.web.get("/admin/audit")).text)
    assert "domain.suspend" in audit and "spam wave" in audit and "@root" in audit

    [decision] = [line for line in page.split("/admin/federation/domains/")[1:2]]
    policy_id = decision.split("/")[0]
    await _admin(b, f"/admin/federation/domains/{policy_id}/remove", {}, "/admin/federation")
    accepted = await peer.post(net.http, f"{CLUB}/inbox", mo.activity("Follow", CLUB))
    assert accepted.status_code == 202


async def test_a_silenced_domain_is_not_relayed_and_a_blocked_account_is_refused(
    net: FederationNet, peer: Peer
) -> None:
    b, mo = await _club(net, peer)

    async def followers_may_post(session: Any) -> None:
        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        group.posting_policy = "followers"
        session.add(group)

    await b.run(followers_may_post)
    await _admin(
        b,
        "/admin/federation/domains",
        {"domain": "peer.test", "action": "silence"},
        "/admin/federation",
    )
    assert (await peer.post(net.http, f"{CLUB}/inbox", _mention(mo, 1))).status_code == 202
    await net.drain()
    assert await rows(b, RelayedPost) == []

    page = await _admin(
        b, "/admin/federation/actors", {"actor": "@mo@peer.test"}, "/admin/federation"
    )
    assert "Blocked: nothing from this account is accepted any more." in page
    refused = await peer.post(net.http, f"{CLUB}/inbox", _mention(mo, 2))
    assert refused.status_code == 403 and "blocked" in refused.text


async def test_reports_come_in_as_flags_and_go_out_as_flags_from_the_instance_actor(
    net: FederationNet, peer: Peer
) -> None:
    b, mo = await _club(net, peer)
    flag = mo.activity(
        "Flag",
        [CLUB, "https://elsewhere.test/users/x"],
        content="This group posts spam",
    )
    assert (await peer.post(net.http, "https://b.test/inbox", flag)).status_code == 202
    await net.drain()
    [incoming] = await rows(b, Report)
    assert (incoming.target_actor_uri, incoming.reason) == (CLUB, "This group posts spam")
    queue = html.unescape((await b.web.get("/admin/reports")).text)
    assert "This group posts spam" in queue and mo.uri in queue

    form = f"/report?actor={mo.uri}&object={mo.uri}/statuses/9"
    response = await b.web.post_form(
        "/report",
        {"actor": mo.uri, "object": f"{mo.uri}/statuses/9", "reason": "Harassing members"},
        csrf_from=form,
    )
    assert response.status_code == 303
    reports = await rows(b, Report)
    await _admin(b, f"/admin/reports/{reports[1].id}", {"action": "forward"}, "/admin/reports")
    await net.drain()
    [sent] = [r for r in peer.posts() if r.json()["type"] == "Flag"]
    out = sent.json()
    assert out["actor"] == "https://b.test/actor"
    assert out["object"] == [mo.uri, f"{mo.uri}/statuses/9"]
    assert out["content"] == "Harassing members" and "root" not in sent.body.decode()
    assert verify_cavage(sent, (await fetch_public_key(net.http, "https://b.test/actor"))[1])
    assert [r.state for r in await rows(b, Report)] == ["open", "forwarded"]


async def test_a_suspended_group_is_gone_for_people_and_servers(
    net: FederationNet, peer: Peer
) -> None:
    b, mo = await _club(net, peer)
    await _admin(b, "/admin/groups/club", {"action": "suspend"}, "/admin/groups")
    await b.web.logout()
    assert (await b.web.get("/groups/club")).status_code == 410
    actor = await net.http.get(CLUB, headers={"Accept": "application/activity+json"})
    assert actor.status_code == 410
    assert (await peer.post(net.http, f"{CLUB}/inbox", _mention(mo, 1))).status_code == 410
    assert "club" not in (await b.web.get("/groups")).text.split("</main>")[0].split("<main")[1]


@pytest.mark.parametrize(
    "path", ["/admin/federation", "/admin/reports", "/admin/groups", "/admin/audit"]
)
async def test_admin_pages_are_for_admins(net: FederationNet, peer: Peer, path: str) -> None:
    b = await net.add("b")
    await organize_group(b, "club")  # a group admin, not an instance admin
    assert (await b.web.get(path)).status_code == 403


async def test_the_inbox_answers_429_with_retry_after_past_the_domain_limit(
    net: FederationNet, peer: Peer
) -> None:
    _, mo = await _club(net, peer, rate_limits={"inbox_per_domain": 3})
    statuses = []
    for number in range(5):
        response = await peer.post(net.http, f"{CLUB}/inbox", _mention(mo, number))
        statuses.append(response.status_code)
        retry_after = response.headers.get("retry-after")
    assert statuses[:2] == [202, 202] and statuses[-1] == 429
    assert retry_after is not None and int(retry_after) >= 1


async def test_logging_in_is_rate_limited(net: FederationNet) -> None:
    b = await net.add("b", rate_limits={"login_per_ip": 2})
    await b.web.make_user("alice")
    codes = []
    for _ in range(4):
        response = await b.web.client.post("/login", data={"login": "alice", "password": "x"})
        codes.append(response.status_code)
    assert codes[-1] == 429 and "retry-after" in response.headers


async def test_the_instance_pages_tell_rules_privacy_contact_and_known_servers(
    net: FederationNet, peer: Peer
) -> None:
    b, _ = await _club(net, peer)
    settings = {
        "name": "B Town",
        "description": "Our town",
        "contact_email": "admins@b.test",
        "registration": "open",
        "rules": "No ads.",
        "privacy": "We keep **little**.",
    }
    assert (await b.web.post_form("/admin", settings, csrf_from="/admin")).status_code == 303
    await _admin(
        b,
        "/admin/federation/domains",
        {"domain": "peer.test", "action": "silence"},
        "/admin/federation",
    )
    await b.web.logout()
    about = html.unescape((await b.web.get("/about")).text)
    assert "No ads." in about and "<strong>little</strong>" in about and "admins@b.test" in about
    servers = (await b.web.get("/about/instances")).text
    assert "peer.test" in servers and "Limited (posts not relayed by groups)" in servers


async def test_the_federation_page_has_a_plain_title(net: FederationNet, peer: Peer) -> None:
    b, _ = await _club(net, peer)
    page = (await b.web.get("/admin/federation")).text
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Federation" in title
    assert page.count('id="domains-title"') == 1


async def test_admins_switch_to_allowlist_mode_without_a_restart(
    net: FederationNet, peer: Peer
) -> None:
    b, mo = await _club(net, peer)
    a = await net.add("a")
    page = await _admin(b, "/admin/federation/mode", {"mode": "allowlist"}, "/admin/federation")
    assert "Federation mode: allowlist." in page
    refused = await peer.post(net.http, f"{CLUB}/inbox", mo.activity("Follow", CLUB))
    assert refused.status_code == 403
    allow = {"domain": "peer.test", "action": "allow"}
    await _admin(b, "/admin/federation/domains", allow, "/admin/federation")
    accepted = await peer.post(net.http, f"{CLUB}/inbox", mo.activity("Follow", CLUB))
    assert accepted.status_code == 202
    await a.web.login_as_new("alice")
    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    await net.drain()
    assert not [f for f in await rows(b, Follow) if f.follower_uri.startswith("https://a.test")]
    servers = (await b.web.get("/about/instances")).text
    assert "only servers the admins allowed" in servers


async def test_a_suspended_domain_is_never_fetched_from(net: FederationNet, peer: Peer) -> None:
    b, _ = await _club(net, peer)
    newcomer = peer.add_actor("newcomer")
    await _admin(
        b,
        "/admin/federation/domains",
        {"domain": "peer.test", "action": "suspend", "confirm": "yes"},
        "/admin/federation",
    )
    fetched = peer.actor_fetches["newcomer"]
    with pytest.raises(RemoteError, match=r"does not federate with peer\.test"):
        await runtime_of(b.app).remote.actor(newcomer.uri)
    assert peer.actor_fetches["newcomer"] == fetched


@pytest.mark.parametrize("number", [str(2**31), "9" * 40])
async def test_ids_no_row_can_have_are_a_404_on_admin_actions(
    net: FederationNet, peer: Peer, number: str
) -> None:
    b, _ = await _club(net, peer)
    for path in (f"/admin/federation/domains/{number}/remove", f"/admin/reports/{number}"):
        response = await b.web.post_form(path, {"action": "resolve"}, csrf_from="/admin/federation")
        assert response.status_code == 404, (path, response.status_code)
