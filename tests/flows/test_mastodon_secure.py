"""A Mastodon server in secure mode (issue #14, 1): it trusts a signer only after a WebFinger
round-trip, so the instance actor that signs Hearth's fetches and forwarded reports must be
found as ``acct:DOMAIN@DOMAIN``. With it, a person on such a server follows a group (Hearth
reads their profile with a signed GET), votes in a meetup's poll, and receives a report."""

from __future__ import annotations

import html
from typing import Any

import pytest

from server.models import Follow, Participation, Report
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.mastodon_peer import AS_TYPE, MastodonPeer
from tests.flows.peer import AS_CONTEXT, Peer, PeerActor, sign_cavage
from tests.flows.scenes import organize_group, rows

CLUB = "https://b.test/groups/club"
INSTANCE_ACTOR = "https://b.test/actor"


def mastodon_vote(actor: PeerActor, poll: str, option: str, number: int) -> dict[str, Any]:
    """A vote as Mastodon sends it (app/serializers/activitypub/vote_serializer.rb): ids
    under ``#votes/``, ``to`` the poll's author as a single string, no content."""
    vote = f"{actor.uri}#votes/{number}"
    return {
        "@context": AS_CONTEXT,
        "id": f"{vote}/activity",
        "type": "Create",
        "actor": actor.uri,
        "to": CLUB,
        "object": {
            "id": vote,
            "type": "Note",
            "name": option,
            "attributedTo": actor.uri,
            "inReplyTo": poll,
            "to": CLUB,
        },
    }


async def follow_club(
    net: FederationNet, mastodon: MastodonPeer, **federation: Any
) -> tuple[Instance, PeerActor]:
    """B's open club, followed by bob on the secure Mastodon."""
    b = await net.add("b", federation=federation) if federation else await net.add("b")
    await organize_group(b, "club")
    bob = mastodon.add_actor("bob")
    response = await mastodon.post(net.http, f"{CLUB}/inbox", bob.activity("Follow", CLUB))
    assert response.status_code == 202, response.text
    await net.drain()
    return b, bob


def _jrd_self(jrd: dict[str, Any]) -> str:
    [link] = [x for x in jrd["links"] if x["rel"] == "self"]
    assert link["type"] == AS_TYPE
    return str(link["href"])


@pytest.mark.parametrize("resource", ["acct:b.test@b.test", "b.test@b.test", INSTANCE_ACTOR])
async def test_the_instance_actor_is_found_by_webfinger(net: FederationNet, resource: str) -> None:
    await net.add("b")
    response = await net.http.get(
        "https://b.test/.well-known/webfinger", params={"resource": resource}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jrd+json")
    jrd = response.json()
    assert jrd["subject"] == "acct:b.test@b.test"
    assert _jrd_self(jrd) == INSTANCE_ACTOR
    actor = (await net.http.get(INSTANCE_ACTOR, headers={"Accept": AS_TYPE})).json()
    assert (actor["id"], actor["type"], actor["preferredUsername"]) == (
        INSTANCE_ACTOR,
        "Application",
        "b.test",
    )


async def test_the_secure_peer_refuses_unsigned_fetches_and_signers_that_do_not_round_trip(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    bob = mastodon.add_actor("bob")
    unsigned = await net.http.get(bob.uri, headers={"Accept": AS_TYPE})
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "Request not signed"

    class Impostor(PeerActor):
        def document(self) -> dict[str, Any]:
            return {**super().document(), "preferredUsername": "admin"}

    evil = Peer("evil.test")
    net.router.add(evil.host, evil.app)
    eve = evil.actors["eve"] = Impostor(evil.host, "eve")
    evil.actors["admin"] = PeerActor(evil.host, "admin")  # the name eve claims is someone else's
    headers = sign_cavage(
        eve.key, eve.key_id, "GET", bob.uri, b"", signed=("(request-target)", "host", "date")
    )
    forged = await net.http.get(bob.uri, headers={**headers, "accept": AS_TYPE})
    assert forged.status_code == 401
    assert "does not loop back" in forged.json()["error"]


@pytest.mark.parametrize("hearth_secure", [False, True], ids=["open-hearth", "secure-hearth"])
async def test_a_secure_mastodon_user_follows_a_group_and_votes(
    net: FederationNet, mastodon: MastodonPeer, hearth_secure: bool
) -> None:
    b, bob = (
        await follow_club(net, mastodon, authorized_fetch=True)
        if hearth_secure
        else (await follow_club(net, mastodon))
    )
    assert [(f.follower_uri, f.state) for f in await rows(b, Follow)] == [(bob.uri, "accepted")]
    assert INSTANCE_ACTOR in mastodon.signers("GET")  # bob's profile, read with a signed GET
    [accept] = [r.json() for r in mastodon.posts() if r.json()["type"] == "Accept"]
    assert accept["actor"] == CLUB
    assert mastodon.signers("POST") == [CLUB]
    assert mastodon.refused == []

    response = await b.web.post_form(
        "/groups/club/events/new", FORM, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    await net.drain()
    [poll] = [
        r.json()["object"]
        for r in mastodon.posts()
        if r.json()["type"] == "Create" and r.json()["object"]["type"] == "Question"
    ]
    vote = mastodon_vote(bob, poll["id"], "Going", 1)
    assert (await mastodon.post(net.http, f"{CLUB}/inbox", vote)).status_code == 202
    await net.drain()
    assert [(p.actor_uri, p.status) for p in await rows(b, Participation)] == [(bob.uri, "going")]
    [confirmation] = [
        html.unescape(r.json()["object"]["content"])
        for r in mastodon.posts()
        if r.json()["type"] == "Create" and r.json()["to"] == [bob.uri]
    ]
    assert "You're going to “Repair café”" in confirmation
    assert mastodon.refused == []


async def test_a_forwarded_report_reaches_the_secure_server_signed_by_the_instance_actor(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b, bob = await follow_club(net, mastodon)
    await b.web.logout()
    await b.web.login_as_new("root", is_admin=True)
    status = f"{bob.uri}/statuses/9"
    response = await b.web.post_form(
        "/report",
        {"actor": bob.uri, "object": status, "reason": "Spam in the club"},
        csrf_from=f"/report?actor={bob.uri}&object={status}",
    )
    assert response.status_code == 303
    [report] = await rows(b, Report)
    response = await b.web.post_form(
        f"/admin/reports/{report.id}", {"action": "forward"}, csrf_from="/admin/reports"
    )
    assert response.status_code == 303
    await net.drain()
    posts = [a for a in mastodon.accepted if a.received.method == "POST"]
    [flag] = [a for a in posts if a.received.json()["type"] == "Flag"]
    assert flag.signer == INSTANCE_ACTOR
    assert flag.received.json()["object"] == [bob.uri, status]
    assert mastodon.refused == []
    assert [r.state for r in await rows(b, Report)] == ["forwarded"]
