"""Delivery benchmark: a group post fanned out by the worker to local sink servers.

    python bench/delivery.py [--quick] [--profile worker.prof]
    python bench/delivery.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test --schema

A child process serves K sinks (one uvicorn server on K ports of 127.0.0.1: K hosts for
the queue) that answer 202 to POSTs on ``*/inbox`` and check one signature in ``--sample``
with ``verify_request`` (a failure answers 401 and fails the run). Per variant: publish with
``create_post``, time ``worker.run_once()`` until idle, then a bare loop that signs and
POSTs the same body to the same inboxes with the same poster (the worker's aiohttp one)
and limits, no database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import json
import logging
import pstats
import resource
import socket
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import uvloop
from sqlalchemy import insert, text
from sqlmodel import col, func, select

from federation.delivery import Poster, post_activity
from federation.verify import ActorKey, Rejected, verify_request
from server.activitypub.local import LocalActor, group_actor
from server.activitypub.runtime import runtime_of
from server.activitypub.worker import BATCH, PER_HOST
from server.app import create_app, default_http_client, default_poster
from server.config import RateLimitConfig, Settings, load_settings
from server.db import create_engine, transaction
from server.migrate import migrate
from server.models import (
    Delivery,
    Follow,
    FollowState,
    Group,
    OutboxActivity,
    RemoteActor,
    User,
)
from server.services.groups import GroupFields, create_group
from server.services.posts import create_post
from server.services.users import NewUser, create_user
from server.uris import LocalUris

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
HEAD = "variant|followers|inboxes|deliveries|publish s|drain s|polls|deliv/s|bare deliv/s|ratio|"
HEAD += "sigs verified"


class Sink:
    """The ASGI app behind every sink port: counts inbox POSTs, verifies a sample."""

    def __init__(self, keys: dict[str, str], sample: int) -> None:
        self.keys = keys
        self.sample = sample
        self.stats: dict[str, Any] = {"requests": 0, "sampled": 0, "verified": 0, "failures": []}

    async def resolve(self, key_id: str, *, refresh: bool) -> ActorKey | None:
        pem = self.keys.get(key_id)
        return ActorKey(key_id, key_id.split("#")[0], pem) if pem else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status, answer = 202, b""
        if scope["method"] == "GET" and scope["path"] == "/stats":
            status, answer = 200, json.dumps(self.stats).encode()
        elif scope["method"] != "POST" or not scope["path"].endswith("/inbox"):
            status = 404
        else:
            self.stats["requests"] += 1
            if (self.stats["requests"] - 1) % self.sample == 0:
                status = await self._check(scope, body)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def _check(self, scope: Scope, body: bytes) -> int:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"http://{headers.get('host', '')}{scope['path']}" + (f"?{query}" if query else "")
        self.stats["sampled"] += 1
        result = await verify_request("POST", url, headers, body, self.resolve)
        if isinstance(result, Rejected):
            self.stats["failures"].append(f"{url}: {result.reason}")
            return 401
        self.stats["verified"] += 1
        return 202


async def serve_sinks(count: int, keys: dict[str, str], sample: int, lifetime: float) -> None:
    """The child process: ``count`` listening sockets, one uvicorn server; prints the ports."""
    sockets = [socket.create_server(("127.0.0.1", 0), backlog=1024) for _ in range(count)]
    config = uvicorn.Config(
        Sink(keys, sample), lifespan="off", log_level="warning", access_log=False
    )
    print(json.dumps([sock.getsockname()[1] for sock in sockets]), flush=True)
    with contextlib.suppress(TimeoutError):  # never outlive the bench
        async with asyncio.timeout(lifetime):
            await uvicorn.Server(config).serve(sockets=sockets)


@contextlib.asynccontextmanager
async def sink_process(
    count: int, keys: dict[str, str], args: argparse.Namespace, workdir: Path
) -> AsyncIterator[list[int]]:
    """Start the sinks in a child process; yields their ports; stops them on exit."""
    keys_file = workdir / "keys.json"
    keys_file.write_text(json.dumps(keys))
    options = ["--sink", str(count), "--sink-keys", str(keys_file), "--sample", str(args.sample)]
    options += ["--time-limit", str(args.time_limit)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *options, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        if not line:
            raise RuntimeError("the sink process did not start")
        yield json.loads(line)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                proc.kill()


async def sink_stats(port: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        return dict((await client.get(f"http://127.0.0.1:{port}/stats")).json())


@contextlib.asynccontextmanager
async def database(url: str, fresh_schema: bool, workdir: Path) -> AsyncIterator[tuple[str, str]]:
    """A migrated database: a SQLite file in ``workdir``, or a fresh PostgreSQL schema."""
    if url and not fresh_schema:
        raise SystemExit("with --database-url, pass --schema (the bench migrates a fresh schema)")
    schema = f"bench_{uuid.uuid4().hex[:12]}" if url else ""
    url = url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    admin = create_engine(url)
    if schema:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = create_engine(url, schema)
        await migrate(engine)
        await engine.dispose()
        yield url, schema
    finally:
        if schema:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


def bench_settings(workdir: Path, url: str, schema: str) -> Settings:
    base = load_settings(None, env={})
    return dataclasses.replace(  # port 9 is only a name: the app itself is never served
        base,
        instance=dataclasses.replace(base.instance, domain="127.0.0.1:9", scheme="http"),
        server=dataclasses.replace(base.server, data_dir=str(workdir / "data"), run_worker=False),
        database=dataclasses.replace(base.database, url=url, schema=schema),
        federation=dataclasses.replace(base.federation, allow_private_addresses=True),
        # One client sends all the load: throughput, not fairness, is measured here.
        rate_limits=RateLimitConfig(0, 0, 0, 0),
    )


async def make_groups(sessions: Any, slugs: list[str]) -> tuple[User, list[Group]]:
    async with transaction(sessions) as session:
        new = NewUser("organizer", "organizer@bench.invalid", "correct horse battery 42")
        owner = await create_user(session, new)
        return owner, [await create_group(session, s, GroupFields("Bench"), owner) for s in slugs]


async def add_followers(
    sessions: Any, followee: str, ports: list[int], count: int, shared: bool
) -> None:
    """``count`` remote followers, round-robin over the sinks, with accepted follows
    (bulk inserts: 100,000 followers take seconds, not minutes)."""
    tag = "s" if shared else "n"
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        connection = await session.connection()
        for start in range(0, count, 5000):
            actors, follows = [], []
            for i in range(start, min(count, start + 5000)):
                origin = f"http://127.0.0.1:{ports[i % len(ports)]}"
                uri = f"{origin}/users/{tag}{followee.rsplit('/', 1)[1]}{i}"
                actor = RemoteActor(
                    uri=uri,
                    username=f"{tag}{i}",
                    domain=origin.removeprefix("http://"),
                    inbox=f"{uri}/inbox",
                    shared_inbox=f"{origin}/inbox" if shared else "",
                    key_id=f"{uri}#main-key",
                    fetched_at=now,
                )
                actors.append(actor.model_dump(exclude={"id"}))
                follow = Follow(follower_uri=uri, followee_uri=followee, state=FollowState.ACCEPTED)
                follows.append(follow.model_dump(exclude={"id"}))
            await connection.execute(insert(RemoteActor), actors)
            await connection.execute(insert(Follow), follows)


@dataclasses.dataclass
class Result:
    variant: str
    followers: int
    inboxes: int = 0
    deliveries: int = 0
    publish_s: float = 0.0
    drain_s: float = 0.0
    rounds: int = 0
    bare_deliveries: int = 0
    bare_s: float = 0.0
    sampled: int = 0
    verified: int = 0
    seed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.deliveries / self.drain_s if self.drain_s else 0.0

    @property
    def bare_rate(self) -> float:
        return self.bare_deliveries / self.bare_s if self.bare_s else 0.0

    def cells(self) -> list[str]:
        rate = self.deliveries / self.drain_s
        bare = self.bare_deliveries / self.bare_s
        timings = f"{self.publish_s:.3f}|{self.drain_s:.3f}|{self.rounds}"
        rates = f"{rate:.0f}|{bare:.0f}|{rate / bare:.2f}|{self.verified}/{self.sampled}"
        sizes = f"{self.variant}|{self.followers}|{self.inboxes}|{self.deliveries}"
        return f"{sizes}|{timings}|{rates}".split("|")


async def drain(app: Any, profile: cProfile.Profile | None) -> tuple[int, int, int]:
    """Run the worker as ``hearth worker`` does (``run_forever``) until no delivery is
    pending: (delivered, given up, polls of the queue). The poll is one indexed lookup on
    a connection of its own, so the bench adds as little work as it can to the process
    it measures."""
    polls = 0
    pending = text("SELECT 1 FROM deliveries WHERE state = 'pending' LIMIT 1")
    with profile or contextlib.nullcontext():
        task = asyncio.create_task(runtime_of(app).worker.run_forever())
        try:
            async with runtime_of(app).engine.connect() as connection:
                while True:
                    await asyncio.sleep(0.02)
                    polls += 1
                    if (await connection.execute(pending)).first() is None:
                        break
                    await connection.rollback()  # a fresh snapshot for the next poll
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    states = await delivery_states(app)
    return states.get("delivered", 0), states.get("given_up", 0), polls


async def delivery_states(app: Any) -> dict[str, int]:
    """How many deliveries are in each state (the bench's own activities only exist)."""
    async with transaction(runtime_of(app).sessions) as session:
        query = select(Delivery.state, func.count()).group_by(col(Delivery.state))
        return {state: number for state, number in (await session.exec(query)).all()}


async def bare_loop(poster: Poster, inboxes: list[str], body: bytes, signer: LocalActor) -> int:
    """Sign and POST like the worker (batches of BATCH, PER_HOST per host), no database."""
    slots: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))

    async def one(inbox: str) -> bool:
        async with slots[httpx.URL(inbox).netloc.decode()]:
            return (await post_activity(poster, inbox, body, signer.sign)).is_delivered

    delivered = 0
    for start in range(0, len(inboxes), BATCH):
        delivered += sum(await asyncio.gather(*map(one, inboxes[start : start + BATCH])))
    return delivered


async def measure(
    app: Any, owner: User, group: Group, result: Result, port: int, profile: cProfile.Profile | None
) -> None:
    """Publish, drain the queue, then run the bare loop over the same inboxes."""
    settings: Settings = runtime_of(app).settings
    uris = LocalUris(settings)
    before = await sink_stats(port)
    done_before = await delivery_states(app)
    # a new client: cold connections for the worker, as for the bare loop
    runtime_of(app).poster = default_poster(settings)
    try:
        started = time.perf_counter()
        async with transaction(runtime_of(app).sessions) as session:
            post = await create_post(session, uris, group, owner, "Bench night!", "public")
        result.publish_s = time.perf_counter() - started
        started = time.perf_counter()
        delivered, failed, result.rounds = await drain(app, profile)
        result.drain_s = time.perf_counter() - started
    finally:
        await runtime_of(app).poster.aclose()
    delivered -= done_before.get("delivered", 0)
    failed -= done_before.get("given_up", 0)
    note_uri = uris.post(group.slug, post.id or 0)
    async with transaction(runtime_of(app).sessions) as session:
        query = select(OutboxActivity).where(OutboxActivity.object_uri == note_uri)
        activity = (await session.exec(query)).one()
        query_inboxes = select(Delivery.inbox).where(Delivery.activity_id == activity.id)
        inboxes = list((await session.exec(query_inboxes.order_by(col(Delivery.id)))).all())
    result.inboxes, result.deliveries = len(inboxes), delivered
    if failed or delivered != len(inboxes):
        reasons = (await sink_stats(port))["failures"][:3]
        raise RuntimeError(f"{result.variant}: {delivered} sent, {failed} failed; sinks: {reasons}")
    poster = default_poster(settings)
    try:
        started = time.perf_counter()
        signer = group_actor(uris, group)
        result.bare_deliveries = await bare_loop(poster, inboxes, activity.body.encode(), signer)
        result.bare_s = time.perf_counter() - started
    finally:
        await poster.aclose()
    after = await sink_stats(port)
    if after["failures"]:
        raise RuntimeError(f"sampled signatures failed: {after['failures'][:3]}")
    counted = after["requests"] - before["requests"]
    if counted != delivered + result.bare_deliveries or result.bare_deliveries != delivered:
        raise RuntimeError(f"{result.variant}: the sinks counted {counted} requests")
    result.sampled = after["sampled"] - before["sampled"]
    result.verified = after["verified"] - before["verified"]


async def run(args: argparse.Namespace) -> list[Result]:
    if args.quick:
        sizes, sinks, unshared = [100], 10, 50
    else:
        sizes = [int(n) for n in str(args.followers).split(",")]
        sinks, unshared = args.sinks, args.unshared
    profile = cProfile.Profile() if args.profile else None
    results = [Result(f"shared inbox, {n:,} followers", n) for n in sizes]
    if unshared:
        results.append(Result("no shared inbox", unshared))
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        workdir = Path(tmp)
        async with database(args.database_url, args.schema, workdir) as (url, schema):
            settings = bench_settings(workdir, url, schema)
            engine = create_engine(settings.database_url, settings.database.schema)
            http = default_http_client(settings)
            app = create_app(settings, http=http, engine=engine, run_worker=False)
            try:
                slugs = [f"bench{index}" for index in range(len(results))]
                owner, groups = await make_groups(runtime_of(app).sessions, slugs)
                uris = LocalUris(settings)
                keys = {uris.key_id(uris.group(g.slug)): g.public_key_pem for g in groups}
                async with sink_process(sinks, keys, args, workdir) as ports:
                    for result, group in zip(results, groups, strict=True):
                        shared = not result.variant.startswith("no shared")
                        followee = uris.group(group.slug)
                        started = time.perf_counter()
                        await add_followers(
                            runtime_of(app).sessions, followee, ports, result.followers, shared
                        )
                        result.seed_s = time.perf_counter() - started
                        await measure(app, owner, group, result, ports[0], profile)
            finally:
                await runtime_of(app).http.aclose()
                await engine.dispose()
    if profile:
        profile.dump_stats(args.profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return results


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    db = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Hearth delivery benchmark ({db}; worker batch {BATCH}, {PER_HOST} per host)")
    rows = [HEAD.split("|"), *(r.cells() for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sinks = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: bench {mine:.0f} MiB, sink process {sinks:.0f} MiB")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Hearth delivery benchmark (local sinks).")
    add = parser.add_argument
    add("--quick", action="store_true", help="100 followers on 10 sinks, 50 unshared")
    add("--followers", default="1000", help="followers with a shared inbox (several: 1000,10000)")
    add("--sinks", type=int, default=100, help="sink servers (hosts)")
    add("--unshared", type=int, default=500, help="followers without a shared inbox")
    add("--sample", type=int, default=50, help="verify one signature in N")
    add("--database-url", default="", help="default: SQLite in a temporary directory")
    add("--schema", action="store_true", help="PostgreSQL: migrate a fresh schema, drop it after")
    add("--profile", default="", help="write a cProfile of the worker drains to this file")
    add("--top", type=int, default=25, help="profile lines to print")
    add("--time-limit", type=float, default=120.0, help="hard cap on the run, in seconds")
    add("--json", default="", help="also write the results to this file (for run_all.py)")
    add("--sink", type=int, default=0, help=argparse.SUPPRESS)
    add("--sink-keys", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        if args.sink:
            keys = json.loads(Path(args.sink_keys).read_text())
            runner.run(serve_sinks(args.sink, keys, args.sample, args.time_limit + 30))
            return 0

        async def bounded() -> list[Result]:
            async with asyncio.timeout(args.time_limit):
                return await run(args)

        try:
            results = runner.run(bounded())
        except TimeoutError:
            print(f"the benchmark did not finish within {args.time_limit} s", file=sys.stderr)
            return 1
    print_table(results, args)
    if args.json:
        rows = [
            {**dataclasses.asdict(r), "rate": r.rate, "bare_rate": r.bare_rate} for r in results
        ]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        Path(args.json).write_text(json.dumps({"results": rows, "peak_rss_mib": peak}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
