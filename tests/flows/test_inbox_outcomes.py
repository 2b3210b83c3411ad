"""What an inbox row records of its activity's outcome, and whether it is tried again: an
activity whose actor cannot be read now fails and is retried (up to five times), one of a
type nobody handles is ignored at once, a refusal is final."""

from __future__ import annotations

import json

from server.activitypub.queue import ClaimedInbox
from server.activitypub.runtime import runtime_of
from server.models import InboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group, rows


async def store(instance: Instance, activity: dict[str, object]) -> int:
    """Store ``activity`` as if its inbox POST had been verified; returns the row's id."""

    async def add(session) -> int:  # type: ignore[no-untyped-def]
        row = InboxActivity(
            activity_uri=str(activity["id"]),
            actor_uri=str(activity["actor"]),
            type=str(activity["type"]),
            body=json.dumps(activity),
        )
        session.add(row)
        await session.flush()
        return row.id or 0

    return int(await instance.run(add))


async def processed(instance: Instance, row_id: int) -> InboxActivity:
    """Process the stored row as the worker does once it has claimed it; the row after."""
    [row] = await rows(instance, InboxActivity, InboxActivity.id == row_id)
    claimed = ClaimedInbox(row_id, row.actor_uri, row.body)
    await runtime_of(instance.app).worker.processor.process(claimed)
    [row] = await rows(instance, InboxActivity, InboxActivity.id == row_id)
    return row


async def test_an_unreachable_actor_fails_and_is_retried_five_times(net: FederationNet) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    ghost = "https://nowhere.test/users/ghost"
    row_id = await store(
        b, {"id": f"{ghost}/f/1", "type": "Follow", "actor": ghost, "object": group}
    )
    row = await processed(b, row_id)
    assert row.result.startswith("failed: ") and row.processed_at is None  # tried again later
    for _ in range(4):
        row = await processed(b, row_id)
    assert (row.attempts, row.processed_at is not None) == (5, True)
    assert row.result.startswith("failed: ")


async def test_a_type_nobody_handles_is_ignored_once(net: FederationNet, peer: Peer) -> None:
    b = await net.add("b")
    group = await organize_group(b, "club")
    bob = peer.add_actor("bob")
    row_id = await store(b, bob.activity("Arrive", group))
    row = await processed(b, row_id)
    assert (row.result, row.attempts) == ("ignored: Arrive is not handled", 1)
    assert row.processed_at is not None


async def test_a_refusal_is_final(net: FederationNet, peer: Peer) -> None:
    """A Join the group's rules refuse is answered once, not tried again."""
    b = await net.add("b")
    group = await organize_group(b, "club", mode="invite")
    bob = peer.add_actor("bob")
    row_id = await store(b, bob.activity("Join", group))
    row = await processed(b, row_id)
    assert row.result.startswith("join refused: ") and row.attempts == 1
    assert row.processed_at is not None
