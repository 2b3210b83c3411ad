"""A remote server receiving ``Move`` the way Mastodon handles it.

After ``app/lib/activitypub/activity/move.rb`` (mastodon/mastodon): the Move counts only when
``object`` is the signed sender (``origin_account.uri != object_uri`` → ignored) and the target,
fetched fresh, lists the origin in ``alsoKnownAs``; then ``app/workers/move_worker.rb`` →
``queue_follow_unfollows!`` has each local follower of the origin run
``UnfollowFollowWorker``: ``Undo(Follow)`` to the origin and a new ``Follow`` of the target.
"""

from __future__ import annotations

import httpx

from tests.flows.peer import (
    AS_TYPE,
    JsonObject,
    Peer,
    PeerActor,
    fetch_public_key,
    verify_cavage,
)


async def handle_moves(
    http: httpx.AsyncClient, peer: Peer, followers: list[tuple[PeerActor, JsonObject]]
) -> int:
    """Process every Move the peer received as Mastodon would; ``followers`` are the peer's
    accounts that follow the moving actor, each with its Follow (Mastodon's Undo embeds the
    stored follow, ``UndoFollowSerializer``). Returns the number of Moves acted on."""
    acted = 0
    for received in peer.posts():
        activity = received.json()
        if activity.get("type") != "Move":
            continue
        origin = activity["actor"]
        key_id, pem = await fetch_public_key(http, origin)
        verify_cavage(received, pem)
        assert received.headers["signature"].startswith(f'keyId="{key_id}"')
        if _id(activity.get("object")) != origin:
            continue
        target = _id(activity.get("target"))
        response = await http.get(target, headers={"Accept": AS_TYPE})
        document: JsonObject = response.json() if response.status_code == 200 else {}
        if origin not in [_id(item) for item in _as_list(document.get("alsoKnownAs"))]:
            continue
        for follower, original in followers:
            undo = follower.activity("Undo", original)
            assert (await peer.post(http, f"{origin}/inbox", undo)).status_code == 202
            follow = follower.activity("Follow", target)
            assert (await peer.post(http, document["inbox"], follow)).status_code == 202
        acted += 1
    return acted


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _id(value: object) -> str:
    return str(value.get("id", "")) if isinstance(value, dict) else str(value or "")
