"""Fan-out with one and with two ``hearth worker`` processes on PostgreSQL (issue #8: two
workers should deliver ≥ 1.6× one).

One group with ``--followers`` followers on ``--sinks`` simulated instances (shared inboxes,
served by the delivery benchmark's sink process, which verifies a sample of signatures).
For each worker count, ``--posts`` posts are published and real ``hearth worker``
processes drain the queue (claims use ``FOR UPDATE SKIP LOCKED``). Prints deliveries/s per
worker count and the speed-up.

    python bench/workers.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

The time is that from the first delivery to the last, as the workers recorded them. The
machine's cores bound what this can show: the sinks, PostgreSQL and the workers share them,
so the table shows how busy the cores were (all of them, from /proc/stat, between the
first and the last delivery) during each run;
a second worker can only add what the first one left idle.
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
from datetime import UTC, datetime
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
from bench.http_bench import cpu_seconds
from server.activitypub.runtime import runtime_of
from server.app import create_app
from server.db import create_engine, transaction
from server.models import Delivery
from server.services.posts import create_post
from server.uris import LocalUris


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
    async with transaction(runtime_of(app).sessions) as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(Delivery).where(Delivery.state == "pending")
        return int((await session.exec(query)).one())


async def delivered(app: object) -> int:
    async with transaction(runtime_of(app).sessions) as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")
        return int((await session.exec(query)).one())


async def newest_activity(app: object) -> int:
    async with transaction(runtime_of(app).sessions) as session:  # type: ignore[attr-defined]
        return int((await session.exec(select(func.max(Delivery.activity_id)))).one() or 0)


async def delivery_span(app: object, after_activity: int) -> tuple[datetime, datetime]:
    """When the first and the last delivery of the posts after ``after_activity`` were made."""
    async with transaction(runtime_of(app).sessions) as session:  # type: ignore[attr-defined]
        query = select(func.min(Delivery.updated_at), func.max(Delivery.updated_at)).where(
            Delivery.activity_id > after_activity, Delivery.state == "delivered"
        )
        first, last = (await session.exec(query)).one()
    return first, last


Sample = tuple[datetime, int, int]  # when, busy ticks, all ticks


def busy_between(samples: list[Sample], first: datetime, last: datetime) -> float:
    """How busy the cores were (0 to 1) between the samples nearest ``first`` and ``last``."""
    inside = [sample for sample in samples if first <= sample[0] <= last] or samples
    start, end = inside[0], inside[-1]
    return (end[1] - start[1]) / max(1, end[2] - start[2])


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


async def drain_with(
    workers: int,
    env: dict[str, str],
    app: object,
    publish: Callable[[], Awaitable[None]],
    limit: float,
) -> tuple[float, float]:
    """Start ``workers`` worker processes and wait until they are up; then publish and
    return the seconds from the first delivery to the last, and how busy the machine's
    cores were meanwhile (0 to 1)."""
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
        own_before = [cpu_seconds(process.pid) for process in processes]
        samples = [(datetime.now(UTC), *machine_cpu())]
        await publish()
        while await pending(app):
            if time.perf_counter() - started > limit:
                raise RuntimeError(f"{workers} worker(s): still pending after {limit:.0f} s")
            await asyncio.sleep(0.02)
            samples.append((datetime.now(UTC), *machine_cpu()))
        waited = time.perf_counter() - started
        own = [cpu_seconds(p.pid) - b for p, b in zip(processes, own_before, strict=True)]
        shares = ", ".join(f"{seconds / waited:.0%}" for seconds in own)
        print(f"  {workers} worker(s): each worker process used {shares} of a core", flush=True)
        first, last = await delivery_span(app, after)
        return (last - first).total_seconds(), busy_between(samples, first, last)
    finally:
        for process in processes:
            process.terminate()
        await asyncio.gather(*(process.wait() for process in processes))


Row = tuple[int, int, float, float, float]  # workers, deliveries, seconds, deliv/s, CPU busy


async def run(args: argparse.Namespace) -> list[Row]:
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("give --database-url postgresql+asyncpg://… (workers share PostgreSQL)")
    with tempfile.TemporaryDirectory(prefix="hearth-workers-") as tmp:
        workdir = Path(tmp)
        async with database(args.database_url, True, workdir) as (url, schema):
            settings = bench_settings(workdir, url, schema)
            engine = create_engine(url, schema)
            app = create_app(settings, engine=engine, run_worker=False)
            try:
                owner, [group] = await make_groups(runtime_of(app).sessions, ["bench"])
                uris = LocalUris(settings)
                keys = {uris.key_id(uris.group(group.slug)): group.public_key_pem}
                sink_args = argparse.Namespace(sample=args.sample, time_limit=args.time_limit)
                async with sink_process(args.sinks, keys, sink_args, workdir) as ports:
                    followee = uris.group(group.slug)
                    await add_followers(
                        runtime_of(app).sessions, followee, ports, args.followers, True
                    )
                    rows = []

                    async def publish() -> None:
                        async with transaction(runtime_of(app).sessions) as session:
                            for _ in range(args.posts):
                                await create_post(session, uris, group, owner, "Bench", "public")

                    for workers in (1, 2):
                        before = await delivered(app)
                        env = worker_env(url, schema, workdir)
                        seconds, load = await drain_with(
                            workers, env, app, publish, args.time_limit
                        )
                        count = await delivered(app) - before
                        rows.append((workers, count, seconds, count / seconds, load))
            finally:
                await engine.dispose()
    return rows


def report(rows: list[Row], json_path: str) -> None:
    """Print the table (and write the figures for run_all.py)."""
    print(f"Fan-out with hearth worker processes on PostgreSQL ({os.cpu_count()} cores)")
    print(f"  {'workers':>7} {'deliveries':>10} {'seconds':>8} {'deliv/s':>8} {'cores busy':>10}")
    for workers, count, seconds, rate, load in rows:
        print(f"  {workers:7} {count:10} {seconds:8.2f} {rate:8.0f} {load:10.0%}")
    speedup = rows[1][3] / rows[0][3]
    print(f"  two workers: {speedup:.2f}× one (target ≥ 1.6×)")
    if json_path:
        figures = [
            {"workers": w, "deliveries": c, "seconds": t, "rate": r, "cores_busy": b}
            for w, c, t, r, b in rows
        ]
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
