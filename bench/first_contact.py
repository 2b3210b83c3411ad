"""First contact: a burst of Follows from actors Hearth has never seen, over TLS.

    python bench/first_contact.py [--followers 1000] [--instances 20] [--concurrency 50]
    python bench/first_contact.py --large          # 5,000 followers on 500 instances

A child process serves ``--instances`` simulated instances over TLS on 127.0.0.1 (a test
CA made for the run; bench/first_contact_peers.py); another runs Hearth under uvicorn over
TLS with its worker, trusting that CA. ``--followers`` new actors, spread over the
instances, each send one signed Follow to one group at ``--concurrency``: Hearth fetches
each actor's key, verifies, stores, and its worker sends an Accept. Printed: accepted
POSTs/s, POST p50/p99, seconds from the first Follow to the first and the last Accept
received, the server's CPU per Follow and peak RSS, and the floor: the same exchange by a
bare loop (fetch the key over a pooled TLS connection, verify, sign and POST the Accept)
in the same run. One Accept in ``--sample`` is verified by the peers with plain
``cryptography``. Only 127.0.0.1 is contacted; every phase is bounded by ``--time-limit``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import json
import os
import signal
import ssl
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

sys.path.insert(0, str(Path(__file__).parent))
from delivery import bench_settings, database, make_groups
from first_contact_peers import load_public_key, make_certificate, serve_peers, verify_cavage
from http_bench import RawClient, cpu_seconds, free_port, hammer, peak_rss_mib

from federation.keys import generate_rsa_keypair
from federation.verify import signed_headers
from server.db import create_engine, session_factory

GROUP = "club"
#: How --count-sql counts the transactions begun, beside the statements.
TRANSACTION = "(transactions)"


# ------------------------------------------------------------------ child processes


def serve_hearth(args: argparse.Namespace) -> None:
    """The child process: Hearth with its worker on uvicorn, over TLS."""
    import uvicorn

    from server.app import create_app

    settings = bench_settings(Path(args.workdir), args.database_url, args.db_schema)
    settings = dataclasses.replace(
        settings,
        instance=dataclasses.replace(
            settings.instance, domain=f"127.0.0.1:{args.port}", scheme="https"
        ),
        server=dataclasses.replace(settings.server, run_worker=True),
    )
    if args.count_sql:
        _count_sql_statements(Path(args.count_sql))
    profile = cProfile.Profile() if args.profile else None
    if args.profile or args.count_sql:
        # uvicorn raises the SIGTERM it caught again once shut down: let it pass, then dump.
        signal.signal(signal.SIGTERM, lambda *_: None)
    if profile is not None:
        profile.enable()
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=60,
        ssl_certfile=args.cert,
        ssl_keyfile=args.cert_key,
    )
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)


def _count_sql_statements(path: Path) -> None:
    """Count the SQL statements the server runs, by statement, into ``path`` at exit."""
    import atexit
    from collections import Counter

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        counts[" ".join(statement.split())[:160]] += 1

    @event.listens_for(Engine, "begin")
    def begin(conn: Any) -> None:
        counts[TRANSACTION] += 1

    atexit.register(lambda: path.write_text(json.dumps(counts.most_common())))


@contextlib.asynccontextmanager
async def child(mode: str, args: argparse.Namespace, *extra: str) -> AsyncIterator[Any]:
    """Run this script as a child in ``mode``; yields the process."""
    command = [sys.executable, __file__, "--child", mode, "--cert", args.cert]
    command += ["--cert-key", args.cert_key, "--time-limit", str(args.time_limit), *extra]
    env = os.environ | {"SSL_CERT_FILE": args.cert}  # outgoing requests trust the test CA
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, env=env
    )
    try:
        yield process
    finally:
        process.terminate()
        slow_exit = getattr(args, "profile", "") or getattr(args, "count_sql", "")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout=90 if slow_exit else 20)
        if process.returncode is None:
            process.kill()
            await process.wait()


async def wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(url) as response:
                if response.status < 500:
                    return
        await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


# ------------------------------------------------------------------ the exchange


@dataclasses.dataclass(frozen=True)
class Follow:
    """One pre-signed Follow and where its actor lives."""

    actor: str
    body: bytes
    headers: dict[str, str]


def presign(base: str, ports: list[int], pem: str, count: int) -> list[Follow]:
    """``count`` signed Follows from new actors, round-robin over the instances."""
    follows = []
    for index in range(count):
        actor = f"https://127.0.0.1:{ports[index % len(ports)]}/users/a{index}"
        body = json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor}/follows/{index}",
                "type": "Follow",
                "actor": actor,
                "object": f"{base}/groups/{GROUP}",
            }
        ).encode()
        url = f"{base}/groups/{GROUP}/inbox"
        headers = signed_headers("POST", url, body, f"{actor}#main-key", pem)
        headers["content-type"] = "application/activity+json"
        follows.append(Follow(actor, body, dict(headers)))
    return follows


async def peer_stats(http: aiohttp.ClientSession, port: int) -> dict[str, Any]:
    async with http.get(f"https://127.0.0.1:{port}/stats") as response:
        return dict(await response.json(content_type=None))


async def wait_for_accepts(
    http: aiohttp.ClientSession, port: int, want: int, limit: float
) -> dict[str, Any]:
    """Poll the peers until ``want`` Accepts arrived (or ``limit`` seconds passed)."""
    deadline = time.monotonic() + limit
    stats = await peer_stats(http, port)
    while stats["accepts"] < want and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        stats = await peer_stats(http, port)
    return stats


async def bare_loop(
    http: aiohttp.ClientSession, follows: list[Follow], inbox_path: str, concurrency: int
) -> float:
    """The floor: per Follow, fetch the actor's key (pooled TLS), verify the Follow, sign
    and POST an Accept. Returns the seconds taken."""
    keys = generate_rsa_keypair()
    pending = iter(follows)

    async def one(follow: Follow) -> None:
        async with http.get(follow.actor, headers={"accept": "application/activity+json"}) as r:
            document = await r.json(content_type=None)
        key = load_public_key(document["publicKey"]["publicKeyPem"])
        headers = {name.lower(): value for name, value in follow.headers.items()}
        if reason := verify_cavage("POST", inbox_path, headers, follow.body, key):
            raise SystemExit(f"the bare loop could not verify a Follow: {reason}")
        activity = {"type": "Accept", "actor": "https://floor.invalid/g"}
        accept = json.dumps(activity | {"object": json.loads(follow.body)}).encode()
        url = f"{follow.actor}/floor-inbox"
        headers = signed_headers("POST", url, accept, "https://floor.invalid/g#k", keys.private_pem)
        async with http.post(url, data=accept, headers=headers) as response:
            await response.read()

    async def worker() -> None:
        for follow in pending:
            await one(follow)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns its figures."""
    with tempfile.TemporaryDirectory(prefix="hearth-first-contact-") as tmp:
        workdir = Path(tmp)
        args.cert, args.cert_key = (str(p) for p in make_certificate(workdir))
        tls = ssl.create_default_context(cafile=args.cert)
        peer_keys = generate_rsa_keypair()
        (workdir / "peer.pem").write_text(peer_keys.public_pem)
        async with database(args.database_url, bool(args.database_url), workdir) as (url, schema):
            engine = create_engine(url, schema)
            await make_groups(session_factory(engine), [GROUP])
            await engine.dispose()
            port = free_port()
            base = f"https://127.0.0.1:{port}"
            peer_args = ["--instances", str(args.instances), "--sample", str(args.sample)]
            hearth_args = ["--port", str(port), "--workdir", tmp, "--database-url", url]
            hearth_args += ["--db-schema", schema]
            if getattr(args, "profile", ""):  # --profile (not given by tests)
                hearth_args += ["--profile", args.profile]
            if getattr(args, "count_sql", ""):
                hearth_args += ["--count-sql", args.count_sql]
            connector = aiohttp.TCPConnector(ssl=tls, limit=0)
            async with (
                aiohttp.ClientSession(connector=connector) as http,
                child("peers", args, *peer_args, "--peer-key", str(workdir / "peer.pem")) as peers,
                child("hearth", args, *hearth_args) as hearth,
            ):
                assert peers.stdout is not None
                ports = json.loads(await asyncio.wait_for(peers.stdout.readline(), timeout=60))
                await wait_until_up(http, f"{base}/nodeinfo/2.1")
                # A running server has its instance actor (which signs its fetches) long
                # before a burst; a fresh one makes its key pair on first use.
                await wait_until_up(http, f"{base}/actor")
                follows = presign(base, ports, peer_keys.private_pem, args.followers)
                inbox = f"/groups/{GROUP}/inbox"
                cpu = cpu_seconds(hearth.pid)
                first_follow = time.time()
                async with RawClient(base, args.concurrency, tls) as client:

                    async def send(index: int) -> int:
                        follow = follows[index]
                        return await client.request("POST", inbox, follow.headers, follow.body)

                    figure = await hammer(
                        "Follows", args.concurrency, len(follows), send, args.time_limit
                    )
                last_follow = time.time()
                stats = await wait_for_accepts(http, ports[0], len(follows), args.time_limit)
                used = cpu_seconds(hearth.pid) - cpu
                rss = peak_rss_mib(hearth.pid)
                floor_cpu = time.process_time()
                floor_seconds = await bare_loop(http, follows, inbox, args.concurrency)
                floor_cpu = time.process_time() - floor_cpu
                floor = (await peer_stats(http, ports[0]))["floor"]
    return {
        "followers": args.followers,
        "instances": args.instances,
        "posts": figure.requests,
        "post_errors": figure.errors,
        "rate": figure.rate,
        "p50_ms": figure.p50_ms,
        "p99_ms": figure.p99_ms,
        "first_accept_s": stats["first"] - first_follow if stats["accepts"] else None,
        "last_accept_s": stats["last"] - first_follow if stats["accepts"] else None,
        "after_last_follow_s": stats["last"] - last_follow if stats["accepts"] else None,
        "cpu_ms_per_follow": used / len(follows) * 1000,
        "rss_mib": rss,
        "accepts": stats["accepts"],
        "follows_accepted": stats["follows_accepted"],
        "duplicates": stats["duplicates"],
        "verified": stats["verified"],
        "failures": stats["failures"],
        "floor_rate": floor / floor_seconds if floor_seconds else 0.0,
        "floor_accepts": floor,
        "floor_cpu_ms": floor_cpu / len(follows) * 1000,
        "sql_statements": _read_sql_counts(getattr(args, "count_sql", "")),
    }


def _read_sql_counts(path: str) -> list[tuple[str, int]]:
    """The statements the server ran (``--count-sql``), most frequent first."""
    if not path or not Path(path).exists():
        return []
    return [(statement, count) for statement, count in json.loads(Path(path).read_text())]


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def report(figures: dict[str, Any]) -> None:
    """Print the figures."""
    f = figures
    print(f"First contact (load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores)")
    print(f"  {f['followers']:,} new followers on {f['instances']} instances over TLS")
    print(
        f"  inbox: {f['rate']:.0f} accepted POSTs/s ({f['post_errors']} errors), "
        f"p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms"
    )
    print(
        f"  Accepts: {f['follows_accepted']:,} of {f['followers']:,} Follows accepted, "
        f"{f['duplicates']} duplicates; first {_seconds(f['first_accept_s'])} and last "
        f"{_seconds(f['last_accept_s'])} after the first Follow "
        f"({_seconds(f['after_last_follow_s'])} after the last)"
    )
    print(f"  signatures: {f['verified']} sampled Accepts verified, {len(f['failures'])} failed")
    for failure in f["failures"]:
        print(f"    {failure}")
    cpu, rss = f["cpu_ms_per_follow"], f["rss_mib"]
    print(f"  server CPU {cpu:.1f} ms per Follow, peak RSS {rss:.0f} MiB")
    if statements := f["sql_statements"]:
        per_follow = {statement: count / f["followers"] for statement, count in statements}
        transactions = per_follow.pop(TRANSACTION, 0.0)
        print(
            f"  SQL: {sum(per_follow.values()):.1f} statements in {transactions:.1f} transactions "
            "per Follow; the most frequent:"
        )
        for statement, count in list(per_follow.items())[:12]:
            print(f"    {count:5.2f}  {statement[:100]}")
    ratio = f["rate"] / f["floor_rate"] if f["floor_rate"] else 0.0
    print(
        f"  bare loop (floor): {f['floor_rate']:.0f} exchanges/s, {f['floor_cpu_ms']:.1f} ms CPU "
        f"each; Hearth is {ratio:.2f}× of it"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--large", action="store_true", help="5,000 followers on 500 instances")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sample", type=int, default=20, help="verify one Accept in this many")
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: SQLite)")
    parser.add_argument("--time-limit", type=float, default=180.0)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--profile", default="", help="cProfile the server into this file")
    parser.add_argument("--count-sql", default="", help="count the server's SQL into this file")
    for hidden in ("--child", "--cert", "--cert-key", "--peer-key", "--workdir", "--db-schema"):
        parser.add_argument(hidden, default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large:
        args.followers, args.instances = 5000, 500
    if args.profile:
        args.profile = str(Path(args.profile).resolve())
    if args.count_sql:
        args.count_sql = str(Path(args.count_sql).resolve())
    if args.child == "hearth":
        serve_hearth(args)
        return 0
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        if args.child == "peers":
            runner.run(serve_peers(args))
            return 0
        figures = runner.run(run(args))
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
