"""HTTP benchmarks against a real ``uvicorn`` serving Hearth in a child process.

    python bench/http_bench.py inbox [--requests 3000] [--concurrency 50]
    python bench/http_bench.py reads [--events 10000] [--followers 100000]

``inbox``: signed POSTs (pre-signed before timing starts, from pre-seeded remote actors, so no
key is fetched) to a group's inbox, and the same bodies to a bare Starlette endpoint that
answers 202, served by the same uvicorn process: accepted POSTs/s, p50/p99, and the ratio.
A third endpoint on the same server, the *signature-check floor*, does only what any inbox
that verifies signatures must: check the signature (key already in memory), the Digest and
the Date, and parse the JSON, then answer 202. Its ratio to bare is the ceiling of the
inbox ratio on this machine (one RSA-2048 verification alone costs about 24 µs here). A
fourth, the *stored floor*, does the same and then stores the activity durably before
answering, with Hearth's own group-committed writer and nothing else of Hearth: the ceiling
for any inbox that acknowledges only what a crash cannot lose.

``reads``: 10,000 events (1,000 in one group) and 100,000 followers of that group in the
database; actor JSON, WebFinger, group page, event page, group ICS, followers collection
page — req/s and p99 at ``--concurrency`` clients (after a warm-up).

Both print the server's peak RSS (VmHWM). Only 127.0.0.1 is contacted; every phase is
bounded by ``--requests`` and ``--time-limit``. ``--json PATH`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import socket
import ssl
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
from delivery import bench_settings, database
from events import BIG, quantile, seed

from federation.keys import generate_rsa_keypair
from federation.verify import ActorKey, Rejected, signed_headers, verify_request
from server.activitypub.inbox_writer import InboxWriter, Incoming
from server.app import create_app
from server.db import create_engine, session_factory, transaction
from server.models import Follow, FollowState, RemoteActor
from server.services.groups import GroupFields, create_group
from server.services.users import NewUser, create_user

BARE_PATH = "/bare/inbox"
FLOOR_PATH = "/floor/inbox"
STORED_FLOOR_PATH = "/floor-stored/inbox"
ACTORS = 200


@dataclasses.dataclass
class Figure:
    """One measured endpoint."""

    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_us: float = 0.0  # the server process's CPU time per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# ------------------------------------------------------------------ the server child


def serve(args: argparse.Namespace) -> None:
    """The child process: Hearth (and the bare endpoint) on one uvicorn."""
    import uvicorn
    from starlette.responses import Response

    settings = bench_settings(Path(args.workdir), args.database_url, args.db_schema)
    settings = dataclasses.replace(
        settings,
        instance=dataclasses.replace(settings.instance, domain=f"127.0.0.1:{args.port}"),
        server=dataclasses.replace(settings.server, read_cache_seconds=args.read_cache_seconds),
    )
    hearth = create_app(settings, run_worker=False)
    key_file = Path(args.workdir) / "floor-key.pem"  # written by the inbox benchmark only
    floor = None
    if key_file.exists():
        writer = InboxWriter(session_factory(create_engine(settings.database_url, args.db_schema)))
        floor = SignatureFloor(key_file, f"http://127.0.0.1:{args.port}", writer)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == BARE_PATH:
            while (await receive()).get("more_body"):
                pass
            await Response(status_code=202)(scope, receive, send)
            return
        if floor is not None and scope["type"] == "http" and scope["path"] in FLOORS:
            await floor(scope, receive, send)
            return
        await hearth(scope, receive, send)

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=60,
    )


FLOORS = (FLOOR_PATH, STORED_FLOOR_PATH)


class SignatureFloor:
    """The least a signature-checking inbox does: verify (the key is in memory), parse, 202;
    at :data:`STORED_FLOOR_PATH` also store the activity durably (``writer``) first."""

    def __init__(self, public_pem_file: Path, base: str, writer: InboxWriter) -> None:
        self.public_pem = public_pem_file.read_text()
        self.base = base
        self.writer = writer

    async def resolve(self, key_id: str, *, refresh: bool) -> ActorKey | None:
        return ActorKey(key_id, key_id.split("#")[0], self.public_pem)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from starlette.responses import Response

        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        url = f"{self.base}{scope['path']}"
        verified = await verify_request("POST", url, headers, body, self.resolve)
        status = 401 if isinstance(verified, Rejected) else 202
        if status == 202:
            activity = json.loads(body)
            if scope["path"] == STORED_FLOOR_PATH:
                row = Incoming(activity["id"], activity["actor"], activity["type"], body.decode())
                await self.writer.store(row)
        await Response(status_code=status)(scope, receive, send)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def server_process(
    workdir: Path, url: str, schema: str, port: int, read_cache_seconds: float = 5.0
) -> AsyncIterator[tuple[str, int]]:
    """Start the server child on ``port``; yields its base URL and pid."""
    command = [sys.executable, __file__, "serve", "--port", str(port), "--workdir", str(workdir)]
    command += ["--database-url", url, "--db-schema", schema]
    command += ["--read-cache-seconds", str(read_cache_seconds)]
    process = await asyncio.create_subprocess_exec(*command)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{base}/nodeinfo/2.1")).status_code < 500:
                        break
                await asyncio.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ------------------------------------------------------------------ load


async def hammer(
    name: str, concurrency: int, count: int, send: Callable[[int], Awaitable[int]], limit: float
) -> Figure:
    """``count`` requests from ``concurrency`` workers; latencies per request."""
    latencies: list[float] = []
    errors = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, errors
        while next_index < count:
            index, next_index = next_index, next_index + 1
            started = time.perf_counter()
            status = await send(index)
            latencies.append(time.perf_counter() - started)
            errors += status >= 400

    started = time.perf_counter()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    if not latencies:
        return Figure(name, 0, seconds, 0, 0, 0)
    return Figure(
        name,
        len(latencies),
        seconds,
        statistics.median(latencies) * 1000,
        quantile(latencies, 0.99) * 1000,
        errors,
    )


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: one connection per worker.

    httpx costs more CPU per request than the server under test, which made the load
    generator the bottleneck on 2 cores; this one does just enough for the benchmark."""

    def __init__(self, base: str, connections: int, tls: ssl.SSLContext | None = None) -> None:
        host, port = base.split("://")[-1].split(":")
        self.host, self.port, self.tls = host, int(port), tls
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.connections = connections

    async def __aenter__(self) -> RawClient:
        for _ in range(self.connections):
            self.idle.put_nowait(await self._connect())
        return self

    async def __aexit__(self, *exc: object) -> None:
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, ssl=self.tls)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> int:
        reader, writer = await self.idle.get()
        try:
            lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items() if k.lower() != "host"]
            lines.append(f"content-length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
            fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
            if b"content-length" in fields:
                await reader.readexactly(int(fields[b"content-length"]))
            elif fields.get(b"transfer-encoding") == b"chunked":
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
        except (OSError, asyncio.IncompleteReadError, ValueError):
            writer.close()
            reader, writer = await self._connect()
            status = 599
        self.idle.put_nowait((reader, writer))
        return status


# ------------------------------------------------------------------ inbox


async def seed_inbox(url: str, schema: str, public_key_file: Path) -> tuple[str, list[str]]:
    """A group and ACTORS remote actors sharing one key (its public half written to
    ``public_key_file`` for the floor endpoint); returns the private PEM and actor URIs."""
    engine = create_engine(url, schema)
    keys = generate_rsa_keypair()
    actors = [f"http://127.0.0.1:9/users/a{i}" for i in range(ACTORS)]
    now = datetime.now(UTC)
    async with transaction(session_factory(engine)) as session:
        owner = await create_user(session, NewUser("organizer", "o@bench.invalid", "x" * 20))
        await create_group(session, "club", GroupFields("Club"), owner)
        rows = [
            RemoteActor(
                uri=uri,
                username=uri.rsplit("/", 1)[1],
                domain="127.0.0.1:9",
                inbox=f"{uri}/inbox",
                key_id=f"{uri}#main-key",
                public_key_pem=keys.public_pem,
                fetched_at=now,
                key_refreshed_at=now,
            ).model_dump(exclude={"id"})
            for uri in actors
        ]
        await (await session.connection()).execute(insert(RemoteActor), rows)
    await engine.dispose()
    await asyncio.to_thread(public_key_file.write_text, keys.public_pem)
    return keys.private_pem, actors


def presign(
    base: str, path: str, pem: str, actors: list[str], count: int
) -> list[tuple[bytes, dict[str, str]]]:
    """``count`` signed (body, headers) for POSTs to ``path`` — done before timing."""
    requests = []
    for index in range(count):
        actor = actors[index % len(actors)]
        body = json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor}/likes/{uuid.uuid4()}",
                "type": "Like",
                "actor": actor,
                "object": f"{base}/groups/club",
            }
        ).encode()
        headers = dict(signed_headers("POST", f"{base}{path}", body, f"{actor}#main-key", pem))
        headers["content-type"] = "application/activity+json"
        requests.append((body, headers))
    return requests


async def bench_inbox(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    async with database(args.database_url, bool(args.database_url), workdir) as (url, schema):
        pem, actors = await seed_inbox(url, schema, workdir / "floor-key.pem")
        async with server_process(workdir, url, schema, free_port()) as (base, pid):
            inbox = presign(base, "/groups/club/inbox", pem, actors, args.requests)
            bare = presign(base, BARE_PATH, pem, actors, args.requests)
            floor = presign(base, FLOOR_PATH, pem, actors, args.requests)
            stored = presign(base, STORED_FLOOR_PATH, pem, actors, args.requests)
            figures = []
            async with RawClient(base, args.concurrency) as http:
                for name, path, signed in (
                    ("bare Starlette 202", BARE_PATH, bare),
                    ("signature-check floor", FLOOR_PATH, floor),
                    ("stored floor", STORED_FLOOR_PATH, stored),
                    ("Hearth inbox", "/groups/club/inbox", inbox),
                ):

                    async def send(index: int, path: str = path, signed: Any = signed) -> int:
                        body, headers = signed[index]
                        return await http.request("POST", path, headers, body)

                    await hammer(
                        name, args.concurrency, min(200, args.requests), send, 30
                    )  # warm-up
                    cpu = cpu_seconds(pid)
                    figure = await hammer(
                        name, args.concurrency, args.requests, send, args.time_limit
                    )
                    used = cpu_seconds(pid) - cpu
                    figure.server_cpu_us = used / figure.requests * 1e6 if figure.requests else 0
                    figures.append(figure)
            rss = peak_rss_mib(pid)
    return {"figures": [dataclasses.asdict(f) | {"rate": f.rate} for f in figures], "rss_mib": rss}


# ------------------------------------------------------------------ reads


async def seed_reads(url: str, schema: str, args: argparse.Namespace, port: int) -> None:
    """Events (bench/events.py) plus ``--followers`` followers of the big group."""
    engine = create_engine(url, schema)
    seed_args = argparse.Namespace(events=args.events, groups=50, big=1000, series=5)
    await seed(engine, seed_args)
    now = datetime.now(UTC)
    async with transaction(session_factory(engine)) as session:
        connection = await session.connection()
        followee = f"http://127.0.0.1:{port}/groups/{BIG}"
        for start in range(0, args.followers, 5000):
            actors, follows = [], []
            for i in range(start, min(args.followers, start + 5000)):
                uri = f"http://f{i % 997}.invalid/users/u{i}"
                actors.append(
                    RemoteActor(
                        uri=uri,
                        username=f"u{i}",
                        domain=f"f{i % 997}.invalid",
                        inbox=f"{uri}/inbox",
                        fetched_at=now,
                    ).model_dump(exclude={"id"})
                )
                follows.append(
                    Follow(
                        follower_uri=uri, followee_uri=followee, state=FollowState.ACCEPTED
                    ).model_dump(exclude={"id"})
                )
            await connection.execute(insert(RemoteActor), actors)
            await connection.execute(insert(Follow), follows)
    await engine.dispose()


async def bench_reads(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    async with database(args.database_url, bool(args.database_url), workdir) as (url, schema):
        port = free_port()
        await seed_reads(url, schema, args, port)
        event_id = 1  # the first of the big group's weekly meetups
        cache = args.read_cache_seconds
        async with server_process(workdir, url, schema, port, cache) as (base, pid):
            host = base.removeprefix("http://")
            activity = {"accept": "application/activity+json"}
            endpoints = [
                ("actor JSON", f"/groups/{BIG}", activity),
                ("WebFinger", f"/.well-known/webfinger?resource=acct:{BIG}@{host}", {}),
                ("group page", f"/groups/{BIG}", {}),
                ("event page", f"/events/{event_id}", {}),
                ("group ICS (1,000 events)", f"/groups/{BIG}/events.ics", {}),
                ("followers page", f"/groups/{BIG}/followers?page=1", activity),
            ]
            figures = []
            async with RawClient(base, args.concurrency) as http:
                for name, path, headers in endpoints:

                    async def send(index: int, path: str = path, headers: Any = headers) -> int:
                        return await http.request("GET", path, headers)

                    await hammer(name, args.concurrency, args.concurrency * 2, send, 60)  # warm-up
                    figures.append(
                        await hammer(
                            name, args.concurrency, args.requests, send, args.time_limit / 6
                        )
                    )
            rss = peak_rss_mib(pid)
    return {"figures": [dataclasses.asdict(f) | {"rate": f.rate} for f in figures], "rss_mib": rss}


# ------------------------------------------------------------------ main


def print_figures(title: str, result: dict[str, Any]) -> None:
    print(f"{title} (load average {os.getloadavg()[0]:.2f})")
    print(
        f"  {'endpoint':28} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
        f" {'server CPU µs/req':>18}"
    )
    for f in result["figures"]:
        cpu = f"{f['server_cpu_us']:.0f}" if f["server_cpu_us"] else "-"
        print(
            f"  {f['name']:28} {f['requests']:8} {f['rate']:8.0f} {f['p50_ms']:8.1f} "
            f"{f['p99_ms']:8.1f} {f['errors']:6} {cpu:>18}"
        )
    print(f"  server peak RSS: {result['rss_mib']:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description="Hearth HTTP benchmarks (127.0.0.1 only).")
    parser.add_argument("mode", choices=["inbox", "reads", "serve"])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--json", default="")
    parser.add_argument(
        "--read-cache-seconds",
        type=float,
        default=5.0,
        help="the server's read cache (the default setting); 0 measures every read uncached",
    )
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--db-schema", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="hearth-http-") as tmp:
        run = bench_inbox if args.mode == "inbox" else bench_reads
        result = asyncio.run(run(args, Path(tmp)))
    print_figures(f"Hearth {args.mode} benchmark", result)
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
