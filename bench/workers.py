"""Fan-out with one and with two ``hearth worker`` processes on PostgreSQL (issue #8: two
workers should deliver ≥ 1.6× one).

One group with ``--followers`` followers on ``--sinks`` simulated instances (shared inboxes,
served by the delivery benchmark's sink process, which verifies a sample of signatures).
For each worker count, ``--posts`` posts are published and real ``hearth worker``
processes drain the queue (claims use ``FOR UPDATE SKIP LOCKED``). Prints deliveries/s per
worker count and the speed-up.

    python bench/workers.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

The time is that from the first delivery to the last, as the workers recorded them. The
machine's cores bound what this can show: the sinks and the workers share them (on a
2-core machine the sink process alone takes most of one core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlmodel import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.delivery import (
    add_followers,
    bench_settings,
    database,
    make_groups,
    sink_process,
)
from server.activitypub.uris import LocalUris
from server.app import create_app
from server.db import create_engine, transaction
from server.models_federation import Delivery
from server.services.posts import create_post


def worker_env(url: str, schema: str, workdir: Path) -> dict[str, str]:
    """The environment of a ``hearth worker`` for the bench's database and fake origin."""
    return {
        **os.environ,
        "HEARTH_DATABASE_URL": url,
        "HEARTH_DATABASE_SCHEMA": schema,
        "HEARTH_INSTANCE_DOMAIN": "127.0.0.1:9",
        "HEARTH_INSTANCE_SCHEME": "http",
        "HEARTH_SERVER_DATA_DIR": str(workdir / "data"),
        "HEARTH_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
    }


async def pending(app: object) -> int:
    async with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(Delivery).where(Delivery.state == "pending")
        return int((await session.exec(query)).one())


async def delivered(app: object) -> int:
    async with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")
        return int((await session.exec(query)).one())


async def newest_activity(app: object) -> int:
    async with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        return int((await session.exec(select(func.max(Delivery.activity_id)))).one() or 0)


async def delivery_span(app: object, after_activity: int) -> float:
    """Seconds between the first and the last delivery of the posts after ``after_activity``."""
    async with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        query = select(func.min(Delivery.updated_at), func.max(Delivery.updated_at)).where(
            Delivery.activity_id > after_activity, Delivery.state == "delivered"
        )
        first, last = (await session.exec(query)).one()
    return (last - first).total_seconds()


async def drain_with(
    workers: int,
    env: dict[str, str],
    app: object,
    publish: Callable[[], Awaitable[None]],
    limit: float,
) -> float:
    """Start ``workers`` worker processes and wait until they are up; then publish and
    return the seconds until nothing is pending."""
    hearth = str(Path(sys.executable).with_name("hearth"))
    processes = [
        await asyncio.create_subprocess_exec(
            hearth,
            "worker",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            await asyncio.wait_for(process.stdout.readline(), timeout=60)  # "… started"
        started = time.perf_counter()
        after = await newest_activity(app)
        await publish()
        while await pending(app):
            if time.perf_counter() - started > limit:
                raise RuntimeError(f"{workers} worker(s): still pending after {limit:.0f} s")
            await asyncio.sleep(0.02)
        return await delivery_span(app, after)
    finally:
        for process in processes:
            process.terminate()
        await asyncio.gather(*(process.wait() for process in processes))


async def run(args: argparse.Namespace) -> list[tuple[int, int, float, float]]:
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("give --database-url postgresql+asyncpg://… (workers share PostgreSQL)")
    with tempfile.TemporaryDirectory(prefix="hearth-workers-") as tmp:
        workdir = Path(tmp)
        async with database(args.database_url, True, workdir) as (url, schema):
            settings = bench_settings(workdir, url, schema)
            engine = create_engine(url, schema)
            app = create_app(settings, engine=engine, run_worker=False)
            try:
                owner, [group] = await make_groups(app.state.sessions, ["bench"])
                uris = LocalUris(settings)
                keys = {uris.key_id(uris.group(group.slug)): group.public_key_pem}
                sink_args = argparse.Namespace(sample=args.sample, time_limit=args.time_limit)
                async with sink_process(args.sinks, keys, sink_args, workdir) as ports:
                    followee = uris.group(group.slug)
                    await add_followers(app.state.sessions, followee, ports, args.followers, True)
                    rows = []

                    async def publish() -> None:
                        async with transaction(app.state.sessions) as session:
                            for _ in range(args.posts):
                                await create_post(session, uris, group, owner, "Bench", "public")

                    for workers in (1, 2):
                        before = await delivered(app)
                        env = worker_env(url, schema, workdir)
                        seconds = await drain_with(workers, env, app, publish, args.time_limit)
                        count = await delivered(app) - before
                        rows.append((workers, count, seconds, count / seconds))
            finally:
                await engine.dispose()
    return rows


def report(rows: list[tuple[int, int, float, float]], json_path: str) -> None:
    """Print the table (and write the figures for run_all.py)."""
    print(f"Fan-out with hearth worker processes on PostgreSQL ({os.cpu_count()} cores)")
    print(f"  {'workers':>7} {'deliveries':>10} {'seconds':>8} {'deliv/s':>8}")
    for workers, count, seconds, rate in rows:
        print(f"  {workers:7} {count:10} {seconds:8.2f} {rate:8.0f}")
    speedup = rows[1][3] / rows[0][3]
    print(f"  two workers: {speedup:.2f}× one (target ≥ 1.6×)")
    if json_path:
        figures = [{"workers": w, "deliveries": c, "seconds": t, "rate": r} for w, c, t, r in rows]
        Path(json_path).write_text(json.dumps({"runs": figures, "speedup": speedup}))


def main() -> int:
    parser = argparse.ArgumentParser(description="One vs two hearth worker processes.")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--sinks", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=5, help="posts per run (sinks each)")
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args()
    report(asyncio.run(run(args)), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
