"""What the worker signs with: remembered across rounds, re-read after a key rotation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import select

from federation.keys import generate_rsa_keypair
from server.activitypub.runtime import runtime_of
from server.activitypub.senders import TTL_SECONDS, Senders
from server.models import Group, OutboxActivity, User, UserState
from server.uris import LocalUris
from tests.federation_net import FederationNet, Instance
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


async def _queue_as(
    instance: Instance, actor_uri: str, count: int, name: str = "note"
) -> list[int]:
    """``count`` outgoing activities of ``actor_uri``; their ids."""

    async def add(session: Any) -> list[int]:
        activities = [
            OutboxActivity(
                activity_uri=f"{actor_uri}#{name}-{n}", actor_uri=actor_uri, type="Note", body="{}"
            )
            for n in range(count)
        ]
        session.add_all(activities)
        await session.flush()
        return [a.id for a in activities]

    return list(await instance.run(add))


async def _set_state(instance: Instance, username: str, state: UserState) -> None:
    async def change(session: Any) -> None:
        user = (await session.exec(select(User).where(User.username == username))).one()
        user.state = state
        session.add(user)

    await instance.run(change)


async def test_a_suspended_user_signs_nothing_once_the_remembered_signer_expires(
    net: FederationNet,
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    first, second = await _queue_as(b, b.uris.user("organizer"), 2)
    clock = Clock()
    senders = Senders(runtime_of(b.app).sessions, LocalUris(runtime_of(b.app).settings), clock)
    assert (await senders.get([first]))[first] is not None

    await _set_state(b, "organizer", UserState.SUSPENDED)
    clock.now += TTL_SECONDS / 2
    assert (await senders.get([second]))[second] is not None  # the signer is remembered
    clock.now += TTL_SECONDS
    assert await senders.get([first, second]) == {first: None, second: None}

    await _set_state(b, "organizer", UserState.ACTIVE)  # let back in: signs again at once
    assert None not in (await senders.get([first, second])).values()


async def test_many_activities_of_one_actor_are_read_in_two_queries(net: FederationNet) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    ids = await _queue_as(b, b.uris.group("club"), 20)
    senders = Senders(runtime_of(b.app).sessions, LocalUris(runtime_of(b.app).settings))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0])

    event.listen(b.engine.sync_engine, "before_cursor_execute", count)
    try:
        found = await senders.get(ids)
        assert all(found[i] is not None for i in ids)
        assert statements == ["SELECT", "SELECT"]  # the activities, then the group
        statements.clear()
        more = await _queue_as(b, b.uris.group("club"), 3, "more")
        statements.clear()
        assert all(s is not None for s in (await senders.get([*ids, *more])).values())
        assert statements == ["SELECT"]  # the new activities; the signer is remembered
    finally:
        event.remove(b.engine.sync_engine, "before_cursor_execute", count)
