"""Set-ups the adversarial cases share: a local account following peer accounts, and
genuine activities delivered before an attack."""

from __future__ import annotations

from typing import Any

from server.activitypub.runtime import runtime_of
from server.db import utcnow
from server.models import Follow
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_CONTEXT, PUBLIC, JsonObject, Peer, PeerActor

LOCAL_USER = "lucy"


async def local_follows(
    instance: Instance, *actors: PeerActor, username: str = LOCAL_USER, create: bool = True
) -> str:
    """A local account (a new ``lucy`` by default) follows each actor, accepted; returns its
    URI."""
    lucy = instance.uris.user(username)
    if create:
        await instance.web.make_user(username)

    async def add(session: Any) -> None:
        for actor in actors:
            await runtime_of(instance.app).remote.actor(actor.uri)
            session.add(
                Follow(
                    follower_uri=lucy,
                    followee_uri=actor.uri,
                    activity_uri=f"{lucy}#follows/{actor.name}",
                    state="accepted",
                    updated_at=utcnow(),
                )
            )

    await instance.run(add)
    return lucy


def note(actor: PeerActor, number: int, content: str = "Hello", **fields: Any) -> JsonObject:
    """A public Note by ``actor``."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor.uri}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor.uri,
        "content": content,
        "to": [PUBLIC],
        "published": "2030-01-01T12:00:00Z",
        **fields,
    }


async def deliver(net: FederationNet, peer: Peer, url: str, activity: JsonObject) -> None:
    """A genuine, correctly signed delivery, processed."""
    response = await peer.post(net.http, url, activity)
    assert response.status_code == 202, response.text
    await net.drain()
