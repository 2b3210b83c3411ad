"""Steps the flow scenarios share: a group with its organizer, a peer account following it,
and reading what an instance stored."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import SQLModel, select

from server.models import Follow
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import JsonObject, Peer, PeerActor

Row = TypeVar("Row", bound=SQLModel)


async def organize_group(
    instance: Instance, slug: str, *, mode: str = "open", organizer: str = "organizer"
) -> str:
    """Sign in as a new organizer, create the group through the web form; returns its actor URI."""
    await instance.web.login_as_new(organizer)
    response = await instance.web.create_group(
        slug, f"{slug.title()} Club", summary="We meet", membership_mode=mode
    )
    assert response.status_code == 303, response.text
    return instance.uris.group(slug)


async def rows(instance: Instance, model: type[Row], *conditions: Any) -> list[Row]:
    """Every row of a table on this instance (filtered by ``conditions``), by id."""

    async def query(session: Any) -> list[Row]:
        statement = select(model).where(*conditions).order_by(model.id)  # type: ignore[attr-defined]
        return list((await session.exec(statement)).all())

    return await instance.run(query)


async def post_as_group(
    instance: Instance, slug: str, content: str, visibility: str = "public"
) -> None:
    """The signed-in organizer posts as the group through the web form."""
    response = await instance.web.post_form(
        f"/groups/{slug}/posts",
        {"content": content, "visibility": visibility},
        csrf_from=f"/groups/{slug}",
    )
    assert response.status_code == 303, response.text


async def follow_from_peer(
    net: FederationNet, peer: Peer, actor: PeerActor, instance: Instance, slug: str
) -> JsonObject:
    """``actor`` follows the group and the Accept is delivered; returns the Follow sent."""
    group = instance.uris.group(slug)
    activity = actor.activity("Follow", group)
    response = await peer.post(net.http, f"{group}/inbox", activity)
    assert response.status_code == 202, response.text
    await net.drain()
    [follow] = await rows(
        instance, Follow, Follow.follower_uri == actor.uri, Follow.followee_uri == group
    )
    assert follow.state == "accepted"
    return activity


async def approve_follow_requests(instance: Instance, slug: str) -> int:
    """The signed-in moderator approves every pending follow request of the group."""
    approved = 0
    for _ in range(20):
        page = await instance.web.get(f"/groups/{slug}/follow-requests")
        marker = f"/groups/{slug}/follow-requests/"
        if marker not in page.text:
            return approved
        follow_id = page.text.split(marker)[1].split('"')[0]
        response = await instance.web.post_form(
            f"{marker}{follow_id}",
            {"action": "approve"},
            csrf_from=f"/groups/{slug}/follow-requests",
        )
        assert response.status_code == 303
        approved += 1
    return approved
