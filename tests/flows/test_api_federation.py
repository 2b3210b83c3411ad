"""What the API does reaches the fediverse as the web UI's actions do: following a remote group
through ``/api/v1/follows`` (and unfollowing), posting, editing and deleting through
``/api/v1/groups/NAME/posts``; and an open group, by default, shares a Mastodon follower's
``@group hello`` (as a Lemmy community or a Guppe group would)."""

from __future__ import annotations

import json
from typing import Any

from server.models import Follow, OutboxActivity
from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group, rows

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _token(instance: Instance, username: str) -> dict[str, str]:
    async def make(session: Any) -> str:
        return await create_api_token(session, await get_user(session, username))

    return {"Authorization": f"Bearer {await instance.run(make)}"}


async def test_follow_and_unfollow_a_remote_group_through_the_api(net: FederationNet) -> None:
    a, b = await net.add("a"), await net.add("b")
    club = await organize_group(b, "club")
    await a.web.make_user("alice")
    alice = await _token(a, "alice")
    api = a.web.client
    created = await api.post("/api/v1/follows", json={"handle": "@club@b.test"}, headers=alice)
    assert created.status_code == 201, created.text
    assert (created.json()["actor"], created.json()["state"]) == (club, "pending")
    await net.drain()
    [listed] = (await api.get("/api/v1/follows", headers=alice)).json()["items"]
    assert (listed["handle"], listed["state"]) == ("@club@b.test", "accepted")
    [follow] = await rows(b, Follow, Follow.followee_uri == club)
    assert follow.follower_uri == "https://a.test/users/alice"

    again = await api.post("/api/v1/follows", json={"handle": "club@b.test"}, headers=alice)
    assert again.status_code == 409, again.text
    unknown = await api.post("/api/v1/follows", json={"handle": "@nobody@b.test"}, headers=alice)
    assert unknown.status_code == 404 and "nobody@b.test" in unknown.json()["detail"]
    garbage = await api.post("/api/v1/follows", json={"handle": "not a handle"}, headers=alice)
    assert garbage.status_code == 400

    gone = await api.delete(f"/api/v1/follows/{listed['id']}", headers=alice)
    assert gone.status_code == 204
    await net.drain()
    assert await rows(b, Follow, Follow.followee_uri == club) == []
    assert (await api.get("/api/v1/follows", headers=alice)).json()["items"] == []
    missing = await api.delete(f"/api/v1/follows/{listed['id']}", headers=alice)
    assert missing.status_code == 404


async def test_api_posts_reach_a_mastodon_follower(net: FederationNet, peer: Peer) -> None:
    b = await net.add("b")
    club = await organize_group(b, "club")
    mo = peer.add_actor("mo")
    await follow_from_peer(net, peer, mo, b, "club")
    peer.received.clear()
    organizer = await _token(b, "organizer")
    posts = "/api/v1/groups/club/posts"
    created = await b.web.client.post(posts, json={"content": "Picnic at noon"}, headers=organizer)
    number = created.json()["id"]
    await net.drain()
    await b.web.client.patch(
        f"{posts}/{number}", json={"content": "Picnic at one"}, headers=organizer
    )
    await net.drain()
    await b.web.client.delete(f"{posts}/{number}", headers=organizer)
    await net.drain()
    got = [received.json() for received in peer.posts()]
    assert [activity["type"] for activity in got] == ["Create", "Update", "Delete"]
    note_id = f"{club}/posts/{number}"
    assert got[0]["object"]["id"] == got[1]["object"]["id"] == note_id
    assert "Picnic at one" in got[1]["object"]["content"]
    assert got[2]["object"]["id"] == note_id and PUBLIC in got[0]["to"]


async def test_an_open_group_shares_a_followers_post_by_default(
    net: FederationNet, peer: Peer
) -> None:
    b = await net.add("b")
    club = await organize_group(b, "club")
    mo, zoe = peer.add_actor("mo"), peer.add_actor("zoe")
    for actor in (mo, zoe):
        await follow_from_peer(net, peer, actor, b, "club")
    peer.received.clear()
    # The shape of a Mastodon status mentioning the group (app/serializers/activitypub/
    # note_serializer.rb: a Mention tag, the mentioned actor in cc).
    note = {
        "id": f"{mo.uri}/statuses/1",
        "type": "Note",
        "attributedTo": mo.uri,
        "content": f'<p><span class="h-card"><a href="{club}" class="u-url mention">'
        "@<span>club</span></a></span> hello</p>",
        "to": [PUBLIC],
        "cc": [f"{mo.uri}/followers", club],
        "tag": [{"type": "Mention", "href": club, "name": "@club@b.test"}],
    }
    activity = mo.activity("Create", note, to=note["to"], cc=note["cc"])
    assert (await peer.post(net.http, "https://b.test/inbox", activity)).status_code == 202
    await net.drain()
    boosts = [
        json.loads(row.body)
        for row in await rows(b, OutboxActivity, OutboxActivity.type == "Announce")
    ]
    assert note["id"] in [boost["object"] for boost in boosts]
    assert any(received.json()["type"] == "Announce" for received in peer.posts())
