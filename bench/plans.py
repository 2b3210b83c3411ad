"""How the database runs the hot queries (issue #8: "indexes for the hot queries, show the
plans"), on SQLite or PostgreSQL.

The database is seeded as for the reads benchmark (10,000 events, 20,000 followers by
default), plus 20,000 follows of another group, 20,000 deliveries and inbox activities (1%
still to do), 20,000 RSVPs and 5,000 relayed posts — so that on PostgreSQL, whose planner
rightly scans small tables, the plans are those of a busy instance; then the real code paths
run — claiming
deliveries and inbox activities, streaming follower inboxes, the group calendar, RSVP counts,
finding an actor by URI or key, a group by name, a relayed post — and every statement they
send is captured and shown with its plan. A plan that scans a big table without an index is
flagged; the script exits 1 if any is.

    python bench/plans.py
    python bench/plans.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.delivery import database
from bench.http_bench import BIG, seed_reads
from server.activitypub.publish import follower_inboxes
from server.activitypub.queue import claim_due, claim_inbox
from server.db import create_engine, session_factory, transaction, utcnow
from server.models import (
    Delivery,
    DeliveryState,
    Event,
    Follow,
    FollowState,
    Group,
    InboxActivity,
    OutboxActivity,
    Participation,
    RelayedPost,
    RemoteActor,
)
from server.services import rsvp
from server.services.calendar import group_calendar

PORT = 9  # the seeded follows name this port; nothing listens on it
#: Tables big enough that a full scan is a problem.
BIG_TABLES = (
    "follows",
    "remote_actors",
    "events",
    "deliveries",
    "inbox_activities",
    "participations",
    "relayed_posts",
)

Query = Callable[[Any], Awaitable[object]]
#: Scans that are the right plan: the big group is followed by every seeded actor, so the
#: fan-out reads them all (a hash join over the whole table beats 20,000 index lookups).
EXPECTED_SCANS = {"stream follower inboxes": "remote_actors"}


async def _queries() -> list[tuple[str, Query]]:
    """Each hot path, as a function of a session."""
    followee = f"http://127.0.0.1:{PORT}/groups/{BIG}"

    async def stream_followers(session: Any) -> object:
        return [batch async for batch in follower_inboxes(session, followee, batch=500)][:1]

    async def calendar(session: Any) -> object:
        group = (await session.exec(select(Group).where(Group.slug == BIG))).one()
        return await group_calendar(session, group, past=False, include_members_only=False)

    async def rsvp_counts(session: Any) -> object:
        return await rsvp.counts(session, Event(id=1))

    async def actor_by_uri(session: Any) -> object:
        uri = "http://f1.invalid/users/u1"
        return (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()

    async def actor_by_key(session: Any) -> object:
        key = "http://f1.invalid/users/u1#main-key"
        return (await session.exec(select(RemoteActor).where(RemoteActor.key_id == key))).first()

    async def group_by_name(session: Any) -> object:
        return (await session.exec(select(Group).where(Group.slug == BIG))).first()

    async def relayed_post(session: Any) -> object:
        uri = "http://f1.invalid/statuses/1"
        return (
            await session.exec(select(RelayedPost).where(RelayedPost.object_uri == uri))
        ).first()

    return [
        ("claim due deliveries", lambda s: claim_due(s, limit=100)),
        ("claim inbox activities", lambda s: claim_inbox(s, limit=100, max_attempts=5)),
        ("stream follower inboxes", stream_followers),
        ("group calendar (upcoming)", calendar),
        ("RSVP counts of a meetup", rsvp_counts),
        ("remote actor by URI", actor_by_uri),
        ("remote actor by key id", actor_by_key),
        ("group by name", group_by_name),
        ("relayed post by object URI", relayed_post),
    ]


async def _capture(engine: AsyncEngine, query: Query) -> list[tuple[str, Any]]:
    """The statements (with parameters) that ``query`` sends."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH", "DELETE")):
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with transaction(session_factory(engine)) as session:
            await query(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return seen


async def _plan(engine: AsyncEngine, schema: str, statement: str, parameters: Any) -> list[str]:
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            if schema:
                await connection.execute(text(f'SET search_path TO "{schema}"'))
            rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plan = [row[0] for row in rows]
        else:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = [str(row[-1]) for row in rows]
        await connection.rollback()
    return plan


def _full_scan(plan: list[str]) -> str | None:
    """The big table a plan reads in full, if any."""
    for line in plan:
        lowered = line.lower()
        for table in BIG_TABLES:
            if f"scan {table}" in lowered and "using" not in lowered:  # SQLite
                return table
            if f"seq scan on {table}" in lowered:  # PostgreSQL
                return table
    return None


async def _seed_activity(engine: AsyncEngine, rows: int) -> None:
    """Queues, RSVPs, relayed posts and a second group's followers, in bulk."""
    now = utcnow()
    async with transaction(session_factory(engine)) as session:
        connection = await session.connection()
        outbox = OutboxActivity(
            activity_uri="http://127.0.0.1:9/activities/1", actor_uri="x", type="Create", body="{}"
        )
        session.add(outbox)
        await session.flush()
        batches: list[tuple[Any, list[dict[str, Any]]]] = [
            (
                Delivery,
                [
                    Delivery(
                        activity_id=outbox.id or 0,
                        inbox=f"http://f{i % 997}.invalid/users/u{i}/inbox",
                        host=f"f{i % 997}.invalid",
                        state=DeliveryState.PENDING if i % 100 == 0 else DeliveryState.DELIVERED,
                        next_attempt_at=now,
                    ).model_dump(exclude={"id"})
                    for i in range(rows)
                ],
            ),
            (
                InboxActivity,
                [
                    InboxActivity(
                        activity_uri=f"http://f1.invalid/activities/{i}",
                        actor_uri="http://f1.invalid/users/u1",
                        type="Create",
                        body="{}",
                        processed_at=None if i % 100 == 0 else now,
                    ).model_dump(exclude={"id"})
                    for i in range(rows)
                ],
            ),
            (
                Participation,
                [
                    Participation(
                        event_id=1 + i // 10, actor_uri=f"http://f1.invalid/users/u{i}"
                    ).model_dump(exclude={"id"})
                    for i in range(rows)
                ],
            ),
            (
                RelayedPost,
                [
                    RelayedPost(
                        group_id=1 + i % 50,
                        object_uri=f"http://f2.invalid/statuses/{i}",
                        actor_uri="http://f2.invalid/users/u2",
                        content_html="",
                        activity_json="{}",
                    ).model_dump(exclude={"id"})
                    for i in range(rows // 4)
                ],
            ),
            (
                Follow,
                [
                    Follow(
                        follower_uri=f"http://f{i % 997}.invalid/users/u{i}",
                        followee_uri=f"http://127.0.0.1:{PORT}/groups/group-01",
                        state=FollowState.ACCEPTED,
                    ).model_dump(exclude={"id"})
                    for i in range(rows)
                ],
            ),
        ]
        for model, values in batches:
            for start in range(0, len(values), 5000):
                await connection.execute(insert(model), values[start : start + 5000])


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(args.database_url, bool(args.database_url), Path(tmp)) as (url, schema):
            seed_args = argparse.Namespace(events=args.events, followers=args.followers)
            await seed_reads(url, schema, seed_args, PORT)
            engine = create_engine(url, schema)
            await _seed_activity(engine, args.followers)
            try:
                if engine.dialect.name == "postgresql":
                    async with engine.begin() as connection:
                        await connection.execute(text("ANALYZE"))
                return await _report(engine, schema)
            finally:
                await engine.dispose()


async def _report(engine: AsyncEngine, schema: str) -> int:
    flagged = 0
    print(f"Query plans on {engine.dialect.name} ({utcnow():%Y-%m-%d %H:%M} UTC)\n")
    for name, query in await _queries():
        print(f"== {name}")
        for statement, parameters in await _capture(engine, query):
            print("   " + " ".join(statement.split())[:300])
            plan = await _plan(engine, schema, statement, parameters)
            for line in plan:
                print(f"     {line}")
            table = _full_scan(plan)
            if table and EXPECTED_SCANS.get(name) == table:
                print(f"     (reads all of {table}: every seeded actor follows this group)")
            elif table:
                flagged += 1
                print(f"     !! reads all of {table} without an index")
        print()
    print("no full scan of a big table" if not flagged else f"{flagged} plan(s) flagged")
    return 1 if flagged else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Plans of Hearth's hot queries.")
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: SQLite)")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--followers", type=int, default=20_000)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
