"""Calendar benchmark: meetup pages and ICS feeds with 10,000 events in the database.

    python bench/events.py [--quick] [--uvicorn] [--profile-all]
    python bench/events.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test --schema

Seeds a fresh database (a SQLite file in a temporary directory, or a fresh PostgreSQL schema
dropped afterwards) with ``--groups`` public groups and ``--events`` events inserted in bulk,
``--big`` of them in one group (weekly series and one-off meetups, from 60 days ago to a
year ahead; public, unlisted and members-only; one to three tags each). Then, for each
endpoint, a few warm-up requests and ``--requests`` GETs with ``--concurrency`` clients
through an in-process ``httpx.ASGITransport`` (and, with ``--uvicorn``, through a real
uvicorn listening on 127.0.0.1 in the same event loop). Prints req/s, p50, p99 and the
response size; endpoints whose p99 is over ``--slow-ms`` are profiled (cProfile, a few
sequential requests) and their top functions printed, with the query plan of the
instance-wide list. Only 127.0.0.1 is ever contacted; the run is capped by ``--time-limit``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import io
import logging
import pstats
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
import uvloop
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from delivery import bench_settings, database  # a sibling script, not a package

from server.app import create_app, default_http_client
from server.db import create_engine
from server.markup import render_markdown
from server.models import Event, EventSeries, EventTag, Group
from server.services.recurrence import occurrences

BIG = "big-kitchen"
TAGS = ["repair", "bikes", "gardening", "seeds", "books", "kids", "music", "chess", "sewing"]
TAGS += ["climate", "cooking", "walks", "languages", "tech", "art", "yoga", "film", "games"]
ZONES = ["Europe/Paris", "America/Chicago", "Asia/Tokyo", "UTC", "Europe/Berlin"]
PLACES = ["Community hall", "Library, room 3", "Old Mill", "Riverside park", "Bakery upstairs"]
DESCRIPTIONS = [
    render_markdown(text)
    for text in (
        "Bring your **broken lamps**, toasters and bikes. Tea and cake provided.",
        "We swap seeds and cuttings.\n\n- label your bags\n- bring a pen",
        "A quiet evening of reading together. *Everyone* welcome, no sign-up needed.",
        "Monthly assembly: agenda on the board, minutes by email. Coffee from 18:45.",
    )
]
HEAD = "endpoint|via|conc|requests|req/s|p50 ms|p99 ms|max ms|SQL ms/req|queries/req|KiB/resp"


class SqlTimer:
    """Wall time spent in SQL statements (cursor execute to its return), and their count."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seconds = 0.0
        self.statements = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seconds += time.perf_counter() - conn.info["bench_started"].pop()
        self.statements += 1

    def reading(self) -> tuple[float, int]:
        return self.seconds, self.statements


@dataclasses.dataclass
class Endpoint:
    name: str
    path: str
    requests: int


@dataclasses.dataclass
class Measurement:
    endpoint: Endpoint
    transport: str
    concurrency: int
    latencies: list[float]
    sizes: list[int]
    wall: float
    sql_seconds: float
    statements: int

    @property
    def p99(self) -> float:
        return quantile(self.latencies, 0.99)

    def cells(self) -> list[str]:
        lat = self.latencies
        rate = len(lat) / self.wall
        size = statistics.mean(self.sizes) / 1024
        return [
            self.endpoint.name,
            self.transport,
            str(self.concurrency),
            str(len(lat)),
            f"{rate:.1f}",
            f"{quantile(lat, 0.5) * 1000:.1f}",
            f"{self.p99 * 1000:.1f}",
            f"{max(lat) * 1000:.1f}",
            f"{self.sql_seconds * 1000 / len(lat):.1f}",
            f"{self.statements / len(lat):.1f}",
            f"{size:.1f}",
        ]


def quantile(values: list[float], q: float) -> float:
    """The nearest-rank quantile (p99 of 100 samples is the 99th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


# ---------------------------------------------------------------- seeding


def _complete(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    """Every column of the row: given values, else the column's scalar default, else None."""
    for column in table.columns:
        if column.name in row or column.primary_key:
            continue
        default = column.default.arg if column.default is not None else None
        if callable(default) or (default is None and not column.nullable):
            raise RuntimeError(f"the bench does not fill {table.name}.{column.name}")
        row[column.name] = default
    return row


def _event_row(
    event_id: int, group_id: int, start: datetime, zone: str, rng: random.Random, now: datetime
) -> dict[str, Any]:
    roll = rng.random()
    visibility = "public" if roll < 0.85 else "unlisted" if roll < 0.95 else "members"
    description = rng.randrange(len(DESCRIPTIONS))
    return {
        "id": event_id,
        "group_id": group_id,
        "title": f"Meetup {event_id}: {rng.choice(TAGS)} evening",
        "description_md": "(bench)",
        "description_html": DESCRIPTIONS[description],
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "timezone": zone,
        "all_day": False,
        "is_detached": False,
        "venue_name": rng.choice(PLACES),
        "street": f"{rng.randrange(1, 200)} Main Street",
        "postal_code": f"{rng.randrange(10000, 99999)}",
        "locality": "Riverside",
        "country": "France",
        "latitude": 45.0 + rng.random(),
        "longitude": 4.0 + rng.random(),
        "online_url": "",
        "capacity": None,
        "join_mode": "free",
        "external_url": "",
        "status": "cancelled" if rng.random() < 0.03 else "confirmed",
        "visibility": visibility,
        "comments_enabled": True,
        "cover": "",
        "sequence": 0,
        "created_at": now - timedelta(days=90),
        "updated_at": now - timedelta(days=rng.randrange(0, 90)),
    }


def _random_start(rng: random.Random, now: datetime) -> datetime:
    """A start from 60 days ago to a year ahead, on a quarter hour between 09:00 and 20:45."""
    day = now.date() + timedelta(days=rng.randrange(-60, 365))
    start = datetime(day.year, day.month, day.day, rng.randrange(9, 21), 15 * rng.randrange(4))
    return start.replace(tzinfo=UTC)


async def seed(engine: AsyncEngine, args: argparse.Namespace) -> dict[str, Any]:
    """Insert the groups, series, events and tags in bulk; returns what the bench requests."""
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    slugs = [BIG] + [f"group-{i:02d}" for i in range(1, args.groups)]
    groups = [
        _complete(
            Group.__table__,
            {
                "id": i + 1,
                "slug": slug,
                "name": slug.replace("-", " ").title(),
                "summary_md": "",
                "summary_html": "<p>A bench group.</p>",
                "location": "Riverside",
                "visibility": "public",
                "membership_mode": "open",
                "created_at": now,
                "updated_at": now,
            },
        )
        for i, slug in enumerate(slugs)
    ]
    series_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    has_recurrence_id = "recurrence_id_at" in Event.__table__.c
    # The big group: weekly series of a year (52 each), then one-off meetups.
    first_day = now.date() - timedelta(days=56)
    for index in range(min(args.series, args.big // 52)):
        zone = ZONES[index % len(ZONES)]
        first_local = datetime(first_day.year, first_day.month, first_day.day, 19) + timedelta(
            days=index
        )
        rule = "FREQ=WEEKLY;INTERVAL=1;COUNT=52"
        series_id = index + 1
        series_rows.append(
            _complete(
                EventSeries.__table__,
                {
                    "id": series_id,
                    "group_id": 1,
                    "rrule": rule,
                    "timezone": zone,
                    "first_start_local": first_local.isoformat(timespec="seconds"),
                    "duration_minutes": 120,
                    "created_at": now,
                },
            )
        )
        for start in occurrences(rule, first_local, ZoneInfo(zone), after=None):
            row = _event_row(len(events) + 1, 1, start, zone, rng, now)
            row.update(series_id=series_id, visibility="public", status="confirmed")
            if has_recurrence_id:
                row["recurrence_id_at"] = start
            events.append(row)
    while len(events) < args.big:
        start = _random_start(rng, now)
        events.append(_event_row(len(events) + 1, 1, start, rng.choice(ZONES), rng, now))
    while len(events) < args.events:
        group_id = rng.randrange(2, len(slugs) + 1)
        start = _random_start(rng, now)
        events.append(_event_row(len(events) + 1, group_id, start, rng.choice(ZONES), rng, now))
    events = [_complete(Event.__table__, row) for row in events]
    tags = [
        {"event_id": event["id"], "tag": tag}
        for event in events
        for tag in rng.sample(TAGS, rng.choice((1, 1, 2, 3)))
    ]
    async with engine.begin() as connection:
        await connection.execute(insert(Group.__table__), groups)
        if series_rows:
            await connection.execute(insert(EventSeries.__table__), series_rows)
        for start in range(0, len(events), 2000):
            await connection.execute(insert(Event.__table__), events[start : start + 2000])
        for start in range(0, len(tags), 5000):
            await connection.execute(insert(EventTag.__table__), tags[start : start + 5000])
        if connection.dialect.name == "postgresql":
            for table in ("groups", "event_series", "events", "event_tags"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"  # (table names of this script)
                    )
                )
            await connection.execute(text("ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
    counts = {tag: sum(1 for t in tags if t["tag"] == tag) for tag in ("bikes", "repair")}
    return {
        "seconds": time.perf_counter() - started,
        "groups": len(groups),
        "events": len(events),
        "big": sum(1 for e in events if e["group_id"] == 1),
        "series": len(series_rows),
        "tags": len(tags),
        "tag_counts": counts,
        "small": slugs[1],
    }


# ---------------------------------------------------------------- measuring


async def measure(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    concurrency: int,
    transport: str,
    limit: float,
    timer: SqlTimer,
) -> Measurement:
    """Warm up, then ``endpoint.requests`` GETs from ``concurrency`` tasks (or until ``limit``);
    one task gives the latency of a lone request, more the throughput under load."""
    if concurrency == 1:
        endpoint = dataclasses.replace(endpoint, requests=max(10, endpoint.requests // 2))
    for _ in range(3):
        response = await client.get(endpoint.path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {endpoint.path}: {response.status_code}")
    latencies: list[float] = []
    sizes: list[int] = []
    remaining = endpoint.requests
    deadline = time.perf_counter() + limit

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(endpoint.path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {endpoint.path}: {response.status_code}")
            sizes.append(len(response.content))

    sql_before, statements_before = timer.reading()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    sql_after, statements_after = timer.reading()
    return Measurement(
        endpoint,
        transport,
        concurrency,
        latencies,
        sizes,
        wall,
        sql_after - sql_before,
        statements_after - statements_before,
    )


async def profile(client: httpx.AsyncClient, endpoint: Endpoint, top: int) -> str:
    """cProfile of a few sequential requests: the top functions by own time, then Hearth's
    functions by cumulative time. (cProfile sees this thread only: SQLite's work runs in
    aiosqlite's thread and shows as the SQL columns of the table instead.)"""
    profiler = cProfile.Profile()
    with profiler:
        for _ in range(5):
            await client.get(endpoint.path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write("  -- by own time, all code --\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write("  -- by cumulative time, Hearth's own code --\n")
    stats.sort_stats("cumulative").print_stats(r"/(server|federation)/", top)
    skip = ("Ordered by", "List reduced", "function calls")
    lines = out.getvalue().splitlines()
    return "\n".join(
        line
        for line in lines
        if line.strip() and not line.strip().startswith(skip) and "function calls" not in line
    )


async def query_plan(engine: AsyncEngine, schema: str) -> str:
    """How the database runs the instance-wide list's count and page (public, upcoming)."""
    sql = (
        "SELECT events.id FROM events JOIN groups ON groups.id = events.group_id "
        "WHERE events.visibility = 'public' AND groups.visibility = 'public' "
        "AND events.ends_at >= :now ORDER BY events.starts_at, events.id LIMIT 30"
    )
    now = datetime.now(UTC)
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            if schema:
                await connection.execute(text(f'SET search_path TO "{schema}"'))
            rows = await connection.execute(text(f"EXPLAIN ANALYZE {sql}"), {"now": now})
            return "\n".join(row[0] for row in rows)
        naive = now.replace(tzinfo=None).isoformat(sep=" ")  # as UTCDateTime stores it
        rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"), {"now": naive})
        return "\n".join(str(row[-1]) for row in rows)


@contextlib.asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[str]:
    """The app served by uvicorn on a free 127.0.0.1 port, in this event loop."""
    sock = socket.create_server(("127.0.0.1", 0), backlog=1024)
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        workdir = Path(tmp)
        async with database(args.database_url, args.schema, workdir) as (url, schema):
            settings = bench_settings(workdir, url, schema)
            engine = create_engine(settings.database_url, settings.database.schema)
            http = default_http_client(settings)
            app = create_app(settings, http=http, engine=engine, run_worker=False)
            try:
                await bench(app, engine, schema, args)
            finally:
                await http.aclose()
                await engine.dispose()


async def bench(app: Any, engine: AsyncEngine, schema: str, args: argparse.Namespace) -> None:
    db_name = "PostgreSQL" if args.database_url else "SQLite"
    seeded = await seed(engine, args)
    print(
        f"Hearth calendar benchmark ({db_name}): seeded {seeded['events']} events "
        f"({seeded['big']} in /groups/{BIG}, {seeded['series']} weekly series there), "
        f"{seeded['groups']} groups, {seeded['tags']} tags "
        f"(#bikes on {seeded['tag_counts']['bikes']}, #repair on {seeded['tag_counts']['repair']}) "
        f"in {seeded['seconds']:.2f} s",
        flush=True,
    )
    n = args.requests
    endpoints = [
        Endpoint(f"/groups/{BIG}/events.ics", f"/groups/{BIG}/events.ics", max(10, n // 5)),
        Endpoint("/events", "/events", n),
        Endpoint("/events?page=20", "/events?page=20", n),
        Endpoint("/events?tag=bikes", "/events?tag=bikes", n),
        Endpoint("/events?tag=repair", "/events?tag=repair", n),
        Endpoint(f"/groups/{BIG}/events", f"/groups/{BIG}/events", n),
        Endpoint(f"/groups/{seeded['small']}/events", f"/groups/{seeded['small']}/events", n),
        Endpoint(f"/groups/{BIG}", f"/groups/{BIG}", n),
    ]
    results: list[Measurement] = []
    timer = SqlTimer(engine)
    levels = sorted({1, args.concurrency})
    runs = len(endpoints) * (len(levels) + (1 if args.uvicorn else 0))
    # Each run gets at most --endpoint-limit seconds, and an equal share of what is left of
    # --time-limit (less a reserve for the profiles), so the whole bench ends in time.
    deadline = args.started + args.time_limit - 20

    def limit() -> float:
        nonlocal runs
        runs -= 1
        return max(1.0, min(args.endpoint_limit, (deadline - time.perf_counter()) / (runs + 1)))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9") as client:
        for endpoint in endpoints:
            for level in levels:
                results.append(await measure(client, endpoint, level, "asgi", limit(), timer))
        slow = list(
            {
                r.endpoint.path: r.endpoint
                for r in results
                if args.profile_all or r.p99 * 1000 > args.slow_ms
            }.values()
        )
        profiles = [(endpoint, await profile(client, endpoint, args.top)) for endpoint in slow]
    if args.uvicorn:
        async with (
            uvicorn_server(app) as base_url,
            httpx.AsyncClient(base_url=base_url, limits=httpx.Limits(max_connections=64)) as client,
        ):
            for endpoint in endpoints:
                results.append(
                    await measure(client, endpoint, args.concurrency, "uvicorn", limit(), timer)
                )
    print_table(results)
    for endpoint, report in profiles:
        why = "asked for" if args.profile_all else f"p99 over {args.slow_ms:.0f} ms"
        print(f"\ncProfile of 5 sequential GET {endpoint.path} ({why}):")
        print(report)
    if profiles or args.explain:
        print("\nQuery plan of the instance-wide upcoming list (its page query):")
        print(await query_plan(engine, schema))


def print_table(results: list[Measurement]) -> None:
    rows = [HEAD.split("|"), *(r.cells() for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        first, *rest = row
        print(first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Hearth calendar benchmark (in process).")
    add = parser.add_argument
    add("--quick", action="store_true", help="2,000 events, 200 in the big group, 30 requests")
    add("--events", type=int, default=10_000, help="events in the database")
    add("--groups", type=int, default=50, help="groups, the first one big")
    add("--big", type=int, default=1000, help="events of the big group")
    add("--series", type=int, default=8, help="weekly series (52 each) in the big group")
    add("--requests", type=int, default=200, help="GETs per page endpoint (ICS: a fifth)")
    add("--concurrency", type=int, default=8, help="concurrent clients")
    add("--endpoint-limit", type=float, default=10.0, help="seconds at most per endpoint")
    add("--uvicorn", action="store_true", help="also measure through uvicorn on 127.0.0.1")
    add("--slow-ms", type=float, default=200.0, help="profile endpoints whose p99 is above")
    add("--profile-all", action="store_true", help="profile every endpoint")
    add("--explain", action="store_true", help="print the upcoming list's query plan")
    add("--top", type=int, default=12, help="profile lines to print")
    add("--database-url", default="", help="default: SQLite in a temporary directory")
    add("--schema", action="store_true", help="PostgreSQL: migrate a fresh schema, drop it after")
    add("--time-limit", type=float, default=120.0, help="hard cap on the run, in seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.big, args.series, args.requests = 2000, 200, 2, 30
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.started = time.perf_counter()
    logging.basicConfig(level=logging.WARNING)

    async def bounded() -> None:
        async with asyncio.timeout(args.time_limit):
            await run(args)

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(bounded())
    except TimeoutError:
        print(f"the benchmark did not finish within {args.time_limit} s", file=sys.stderr)
        return 1
    print(f"\ntotal {time.perf_counter() - args.started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
