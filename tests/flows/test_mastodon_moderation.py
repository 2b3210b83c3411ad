"""Mastodon's moderation activities at Hearth's inbox, built from Mastodon's serializers
(issue #14, "Done when"): a report (``Flag``) forwarded by a Mastodon server's instance actor,
and the ``Delete`` Mastodon sends when an account is deleted, whose key is gone afterwards."""

from __future__ import annotations

import html
import json
import uuid
from typing import Any

import httpx

from server.models import (
    Follow,
    InboxActivity,
    OutboxActivity,
    Participation,
    RelayedPost,
    RemoteActor,
    RemoteMember,
    Report,
)
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.mastodon_peer import MastodonPeer
from tests.flows.peer import AS_CONTEXT, Peer, sign_cavage
from tests.flows.relay_scenes import CLUB, PUBLIC, mention_note
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows


def mastodon_flag(instance_actor: str, objects: list[str], comment: str) -> dict[str, Any]:
    """A report forwarded by Mastodon (app/serializers/activitypub/flag_serializer.rb, sent by
    app/services/report_service.rb ``forward_to_origin!``): the actor is the instance actor
    (``Account.representative``), the id a fresh URI on its host
    (``TagManager#generate_uri_for``), ``object`` the reported account then the reported
    statuses, ``content`` the reporter's comment; delivered to the account's inbox."""
    host = instance_actor.rsplit("/", 1)[0]
    return {
        "@context": AS_CONTEXT,
        "id": f"{host}/{uuid.uuid4()}",
        "type": "Flag",
        "actor": instance_actor,
        "content": comment,
        "object": objects,
    }


def mastodon_delete_account(actor_uri: str) -> dict[str, Any]:
    """An account deleted on Mastodon (app/serializers/activitypub/delete_actor_serializer.rb,
    sent by app/services/delete_account_service.rb to every inbox that knows the account):
    id ``<actor>#delete``, ``object`` the actor's own URI, public, signed by that account."""
    return {
        "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
        "id": f"{actor_uri}#delete",
        "type": "Delete",
        "actor": actor_uri,
        "to": [PUBLIC],
        "object": actor_uri,
    }


async def _post_as_instance_actor(
    net: FederationNet, mastodon: MastodonPeer, url: str, activity: dict[str, Any]
) -> httpx.Response:
    body = json.dumps(activity).encode()
    key_id = f"{mastodon.instance_actor}#main-key"
    headers = sign_cavage(mastodon.instance_key, key_id, "POST", url, body)
    return await net.http.post(url, content=body, headers=headers)


async def test_a_report_from_mastodon_against_a_group_post_reaches_the_admins_queue(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    await post_as_group(b, "club", "Cheap watches at www.spam.example")
    [created] = [
        json.loads(row.body)
        for row in await rows(b, OutboxActivity, OutboxActivity.type == "Create")
    ]
    post = created["object"]["id"]
    flag = mastodon_flag(mastodon.instance_actor, [CLUB, post], "Spam links in this group")
    response = await _post_as_instance_actor(net, mastodon, f"{CLUB}/inbox", flag)
    assert response.status_code == 202, response.text
    await net.drain()

    [report] = await rows(b, Report)
    assert (report.reporter_actor_uri, report.target_actor_uri) == (mastodon.instance_actor, CLUB)
    assert json.loads(report.object_uris) == [post]
    assert report.reason == "Spam links in this group" and report.state == "open"
    await b.web.logout()
    await b.web.login_as_new("root", is_admin=True)
    queue = html.unescape((await b.web.get("/admin/reports")).text)
    assert "Spam links in this group" in queue
    assert mastodon.instance_actor in queue and post in queue
    assert mastodon.refused == []  # Hearth read Mastodon's instance actor as Mastodon allows


async def test_a_report_from_mastodon_that_names_nothing_here_files_nothing(
    net: FederationNet, mastodon: MastodonPeer
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    elsewhere = "https://elsewhere.test/users/x"
    flag = mastodon_flag(mastodon.instance_actor, [elsewhere, f"{elsewhere}/statuses/1"], "x")
    response = await _post_as_instance_actor(net, mastodon, "https://b.test/inbox", flag)
    assert response.status_code == 202, response.text
    await net.drain()
    assert await rows(b, Report) == []


async def _mo_everywhere(net: FederationNet, peer: Peer) -> tuple[Instance, str]:
    """mo on the peer follows and joins B's club, is going to a meetup and has a relayed post;
    returns B and the meetup's URI."""
    b = await net.add("b")
    await organize_group(b, "club")
    mo, ana = peer.add_actor("mo"), peer.add_actor("ana")
    for actor in (mo, ana):
        await follow_from_peer(net, peer, actor, b, "club")
    for activity in (mo.activity("Join", CLUB), mention_note(mo, 1, "hello neighbours")):
        assert (await peer.post(net.http, f"{CLUB}/inbox", activity)).status_code == 202
        await net.drain()
    response = await b.web.post_form(
        "/groups/club/events/new", {**FORM, "capacity": "1"}, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    event = f"https://b.test{response.headers['location']}"
    for actor in (mo, ana):  # ana waits for mo's seat
        join = actor.activity("Join", event, to=[CLUB])
        assert (await peer.post(net.http, f"{CLUB}/inbox", join)).status_code == 202
        await net.drain()
    assert [f.follower_uri for f in await rows(b, Follow)] == [mo.uri, ana.uri]
    assert [m.actor_uri for m in await rows(b, RemoteMember)] == [mo.uri]
    assert [(r.actor_uri, r.state) for r in await rows(b, RelayedPost)] == [(mo.uri, "relayed")]
    statuses = {p.actor_uri: p.status for p in await rows(b, Participation)}
    assert statuses == {mo.uri: "going", ana.uri: "waitlisted"}
    peer.received.clear()
    return b, event


async def test_a_deleted_mastodon_account_leaves_the_group_its_meetups_and_its_posts(
    net: FederationNet, peer: Peer
) -> None:
    b, event = await _mo_everywhere(net, peer)
    mo, ana = peer.actors["mo"], peer.actors["ana"]
    delete = mastodon_delete_account(mo.uri)
    response = await peer.post(net.http, f"{CLUB}/inbox", delete)
    peer.gone.add("mo")  # Mastodon removes the account (and its key) once the Delete is out
    assert response.status_code == 202, response.text
    await net.drain()

    assert [f.follower_uri for f in await rows(b, Follow)] == [ana.uri]
    assert await rows(b, RemoteMember) == []
    assert await rows(b, RelayedPost) == []
    statuses = {p.actor_uri: p.status for p in await rows(b, Participation)}
    assert statuses == {ana.uri: "going"}  # the freed seat went to the waitlist
    assert await rows(b, RemoteActor, RemoteActor.uri == mo.uri) == []
    [handled] = await rows(b, InboxActivity, InboxActivity.activity_uri == delete["id"])
    assert (handled.result, handled.attempts) == ("actor deleted", 1)
    undone = [r.json()["object"] for r in peer.posts() if r.json()["type"] == "Undo"]
    # Both of the group's Announces are undone: the boost of the Note (Mastodon) and the
    # Announce of the Create (FEP-1b12, Lemmy).
    assert {u["type"] for u in undone} == {"Announce"}
    assert f"{mo.uri}/statuses/1" in [u["object"] for u in undone] and len(undone) == 2
    page = (await b.web.get("/groups/club")).text
    assert "hello neighbours" not in page

    # Mastodon delivers the Delete to every inbox that knew the account, and retries: once
    # the key is gone (410) each copy is answered 202 with no fetch storm and no retry.
    fetches = peer.actor_fetches["mo"]
    for inbox in (f"{CLUB}/inbox", "https://b.test/inbox"):
        again = await peer.post(net.http, inbox, delete)
        assert again.status_code == 202, again.text
    await net.drain()
    assert peer.actor_fetches["mo"] == fetches
    assert event  # the meetup itself stays
