"""What the worker signs with: remembered across rounds, re-read after a key rotation."""

from __future__ import annotations

from sqlmodel import select

from federation.keys import generate_rsa_keypair
from server.activitypub.runtime import runtime_of
from server.activitypub.senders import TTL_SECONDS, Senders
from server.models import Group, OutboxActivity
from server.uris import LocalUris
from tests.federation_net import FederationNet
from tests.flows.scenes import organize_group, post_as_group, rows


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_rotated_key_is_used_once_the_remembered_one_expires(net: FederationNet) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    await post_as_group(b, "club", "Chess tonight")
    [activity] = await rows(b, OutboxActivity)
    clock = Clock()
    senders = Senders(runtime_of(b.app).sessions, LocalUris(runtime_of(b.app).settings), clock)
    assert activity.id is not None

    first = (await senders.get([activity.id]))[activity.id]
    assert first is not None
    body, signer = first
    assert body == activity.body.encode()
    old_key = signer.private_key_pem
    new_keys = generate_rsa_keypair()

    async def rotate(session) -> None:  # type: ignore[no-untyped-def]
        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        group.private_key_pem, group.public_key_pem = new_keys.private_pem, new_keys.public_pem
        session.add(group)

    await b.run(rotate)
    clock.now += TTL_SECONDS / 2
    remembered = (await senders.get([activity.id]))[activity.id]
    assert remembered is not None and remembered[1].private_key_pem == old_key
    clock.now += TTL_SECONDS
    reread = (await senders.get([activity.id]))[activity.id]
    assert reread is not None and reread[1].private_key_pem == new_keys.private_pem


async def test_an_activity_that_is_gone_has_no_sender(net: FederationNet) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    senders = Senders(runtime_of(b.app).sessions, LocalUris(runtime_of(b.app).settings))
    assert await senders.get([987654]) == {987654: None}
