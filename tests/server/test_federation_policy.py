"""The federation policy in memory (services/federation_policy.py): reloaded when old, and
the requests that find it old together share one reload."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from server.activitypub.runtime import runtime_of
from server.db import transaction
from server.models import DomainPolicy
from server.services import federation_policy


async def test_requests_finding_the_policy_old_share_one_reload(app: Any) -> None:
    policy = runtime_of(app).policy
    await policy.refresh(force=True)
    async with transaction(runtime_of(app).sessions) as session:  # another process's admin
        session.add(DomainPolicy(domain="spam.example", action="suspend"))
    policy._loaded_at -= federation_policy.RELOAD_SECONDS  # the reload is due
    reads: list[str] = []

    def on_execute(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if "FROM domain_policies" in statement:
            reads.append(statement)

    engine = runtime_of(app).engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        await asyncio.gather(*(policy.refresh() for _ in range(20)))
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert len(reads) == 1
    assert not policy.allows("spam.example")
