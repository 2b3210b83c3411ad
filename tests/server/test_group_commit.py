"""Group commit (server/activitypub/group_commit.py): items submitted together are written
in one transaction, each caller gets its own result, and an item that cannot be written
fails only its own caller, not the others of its batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.group_commit import GroupCommit
from server.activitypub.runtime import runtime_of
from server.db import transaction
from server.models import InstanceSetting


async def _write(session: AsyncSession, keys: list[str]) -> list[str]:
    for key in keys:
        if key == "bad":
            raise ValueError("this one cannot be written")
        session.add(InstanceSetting(key=key, value=key.upper()))
    return [key.upper() for key in keys]


async def _stored(app: Any) -> list[str]:
    async with transaction(runtime_of(app).sessions) as session:
        return sorted((await session.exec(select(InstanceSetting.key))).all())


async def test_items_submitted_together_share_one_commit(app: Any) -> None:
    commits: list[int] = []
    event.listen(runtime_of(app).engine.sync_engine, "commit", lambda conn: commits.append(1))
    writer = GroupCommit(runtime_of(app).sessions, _write, max_batch=100)
    keys = [f"test.{number}" for number in range(20)]
    results = await asyncio.gather(*(writer.submit(key) for key in keys))
    assert results == [key.upper() for key in keys]
    assert commits == [1]
    assert await _stored(app) == sorted(keys)


async def test_a_bad_item_fails_only_its_own_caller(app: Any) -> None:
    writer = GroupCommit(runtime_of(app).sessions, _write, max_batch=100)
    keys = ["test.a", "bad", "test.b"]
    results = await asyncio.gather(*(writer.submit(key) for key in keys), return_exceptions=True)
    assert results[0] == "TEST.A" and results[2] == "TEST.B"
    assert isinstance(results[1], ValueError)
    assert await _stored(app) == ["test.a", "test.b"]


@pytest.mark.parametrize("max_batch", [1, 3])
async def test_batches_hold_at_most_max_batch_items(app: Any, max_batch: int) -> None:
    sizes: list[int] = []

    async def write(session: AsyncSession, keys: list[str]) -> list[str]:
        sizes.append(len(keys))
        return await _write(session, keys)

    writer = GroupCommit(runtime_of(app).sessions, write, max_batch=max_batch)
    await asyncio.gather(*(writer.submit(f"test.{number}") for number in range(7)))
    assert max(sizes) == max_batch
    assert sum(sizes) == 7
