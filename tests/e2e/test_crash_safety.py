"""``kill -9`` in the middle of work loses nothing: a real ``hearth serve`` is killed during a
2,000-inbox fan-out, and with inbox activities stored but not yet processed; after a restart
every inbox gets the activity (duplicates only for requests that were in flight at the kill,
also when the rows wait behind a slow host for longer than the lease) and every stored
activity is processed. The database is SQLite in WAL mode, as `hearth serve` sets it up."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import func, select

from server.activitypub.worker import BATCH, MAX_IN_FLIGHT, PER_HOST
from server.db import create_engine, session_factory, transaction
from server.models import Delivery, Follow, InboxActivity, RemoteActor
from tests.e2e.sinks import Sinks
from tests.servers import (
    PASSWORD,
    HearthServer,
    clean_env,
    create_user,
    free_port,
    run_hearth,
    serve,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FOLLOWERS = 2000
SINK_PORTS = 20
IN_FLIGHT_AT_MOST = MAX_IN_FLIGHT + BATCH  # the worker's in-flight limit plus one claimed batch
LEASE_SECONDS = 2
WAIT_SECONDS = 120.0


POSTGRES_URL = os.environ.get("HEARTH_TEST_DATABASE_URL", "")


@pytest.fixture
def database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """SQLite under ./data (the default), or a fresh PostgreSQL schema dropped afterwards."""
    if not POSTGRES_URL:
        yield {}
        return
    schema = f"crash_{uuid.uuid4().hex[:12]}"
    asyncio.run(_run_sql(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {"HEARTH_DATABASE_URL": POSTGRES_URL, "HEARTH_DATABASE_SCHEMA": schema}
    finally:
        asyncio.run(_run_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


async def _run_sql(statement: str) -> None:
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _env(port: int, database: dict[str, str]) -> dict[str, str]:
    return clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true",
        HEARTH_FEDERATION_LEASE_SECONDS=str(LEASE_SECONDS),
        **database,
    )


def _in_database(workdir: Path, env: dict[str, str], func_: Callable[..., object]) -> object:
    url = env.get("HEARTH_DATABASE_URL") or f"sqlite+aiosqlite:///{workdir / 'data' / 'hearth.db'}"

    async def run() -> object:
        engine = create_engine(url, env.get("HEARTH_DATABASE_SCHEMA", ""))
        try:
            async with transaction(session_factory(engine)) as session:
                return await func_(session)  # type: ignore[misc]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _kill(server: HearthServer) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)


def _login_and_post(base_url: str, text: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token
        login = {"login": "organizer", "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login", data=login).status_code == 303
        token = CSRF_RE.search(client.get("/groups/club").text)
        assert token
        form = {"content": text, "visibility": "public", "csrf_token": token.group(1)}
        assert client.post("/groups/club/posts", data=form).status_code == 303


def _prepare(workdir: Path, env: dict[str, str]) -> None:
    run_hearth(workdir, env, "migrate")
    create_user(workdir, env, "organizer")
    run_hearth(workdir, env, "group", "create", "club", "--name", "Club", "--owner", "organizer")


def _fan_out_with_a_kill(
    workdir: Path, env: dict[str, str], port: int, sinks: Sinks, followers: int, kill_at: int
) -> tuple[Counter[str], int]:
    """The group, followed by ``followers`` sink actors, posts; the server is killed once
    ``kill_at`` inboxes got it and restarted until every inbox has. Returns what each inbox
    received and how many requests were in flight at the kill (received by a sink, not
    recorded as delivered)."""
    group = f"http://127.0.0.1:{port}/groups/club"
    inboxes = {f"{sinks.actor_uri(i)}/inbox" for i in range(followers)}

    async def add_followers(session):  # type: ignore[no-untyped-def]
        for i in range(followers):
            uri = sinks.actor_uri(i)
            domain = uri.split("/")[2]
            session.add(RemoteActor(uri=uri, domain=domain, inbox=f"{uri}/inbox"))
            session.add(Follow(follower_uri=uri, followee_uri=group, state="accepted"))

    async def delivered(session):  # type: ignore[no-untyped-def]
        query = select(func.count()).where(Delivery.state == "delivered")
        return (await session.exec(query)).one()

    _in_database(workdir, env, add_followers)
    with serve(workdir, env, port) as server:
        _login_and_post(server.base_url, "Fan-out under fire")
        _wait_for(lambda: len(sinks.snapshot()) >= kill_at, "the fan-out to be under way")
        _kill(server)
    time.sleep(sinks.delay + 0.5)  # requests the sinks were answering are counted
    at_kill = len(sinks.snapshot())
    assert at_kill < followers, "the fan-out finished before the kill: make the sinks slower"
    in_flight = at_kill - int(_in_database(workdir, env, delivered))  # type: ignore[call-overload]
    with serve(workdir, env, port):
        _wait_for(
            lambda: {d.inbox for d in sinks.snapshot()} >= inboxes, "every inbox to be reached"
        )
        time.sleep(LEASE_SECONDS + 1)  # time for a wrong second claim to show
    received = Counter(d.inbox for d in sinks.snapshot())
    assert set(received) == inboxes

    async def delivery_states(session):  # type: ignore[no-untyped-def]
        query = select(Delivery.state, func.count()).group_by(Delivery.state)
        return dict((await session.exec(query)).all())

    assert _in_database(workdir, env, delivery_states) == {"delivered": followers}
    return received, in_flight


def test_fan_out_survives_kill_9(tmp_path: Path, database_env: dict[str, str]) -> None:
    port = free_port()
    env = _env(port, database_env)
    _prepare(tmp_path, env)
    with Sinks(SINK_PORTS, delay=0.005) as sinks:
        received, in_flight = _fan_out_with_a_kill(tmp_path, env, port, sinks, FOLLOWERS, 400)
    duplicates = sum(received.values()) - FOLLOWERS
    print(f"fan-out: {in_flight} requests in flight at the kill, {duplicates} duplicates")
    assert 0 <= duplicates <= in_flight <= IN_FLIGHT_AT_MOST, (duplicates, in_flight)


def test_slow_host_fan_out_duplicates_only_what_was_in_flight(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    """40 followers on one host answering in 0.4 s: rows wait behind the per-host limit for
    several leases, before and after the kill. Only the requests under way at the kill arrive
    twice; without a crash nothing would. A host's slot is freed when the answer arrives,
    before the outcome is written, so at the kill each of the ``PER_HOST`` slots holds at
    most one request being sent and, on a loaded machine, one answered but not yet recorded."""
    port = free_port()
    env = _env(port, database_env)
    _prepare(tmp_path, env)
    followers = 40
    with Sinks(1, delay=0.4) as sinks:
        received, in_flight = _fan_out_with_a_kill(tmp_path, env, port, sinks, followers, 8)
    duplicates = sum(received.values()) - followers
    print(f"slow host: {in_flight} requests in flight at the kill, {duplicates} duplicates")
    assert 0 <= duplicates <= in_flight <= 2 * PER_HOST, (duplicates, in_flight)


def _post_follows(sinks: Sinks, group: str, count: int) -> list[str]:
    """``count`` sink actors follow the group (signed POSTs, each answered 202)."""
    ids = []
    with httpx.Client(timeout=10) as client:
        for i in range(count):
            activity = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{sinks.actor_uri(i)}/follows/{i}",
                "type": "Follow",
                "actor": sinks.actor_uri(i),
                "object": group,
            }
            body, headers = sinks.signed_post(i, f"{group}/inbox", activity)
            response = client.post(f"{group}/inbox", content=body, headers=headers)
            assert response.status_code == 202, response.text
            ids.append(activity["id"])
    return ids


def test_stored_inbox_activities_survive_kill_9(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    port = free_port()
    env = _env(port, database_env)
    _prepare(tmp_path, env)
    group = f"http://127.0.0.1:{port}/groups/club"
    followers = 150
    with Sinks(5, delay=0.01) as sinks:

        def accepted() -> Counter[str]:
            return Counter(
                d.activity["object"]["id"]
                for d in sinks.snapshot()
                if d.activity.get("type") == "Accept"
            )

        # 1. Stored, not yet processed (the worker is off): killed, then processed on restart.
        with serve(tmp_path, {**env, "HEARTH_SERVER_RUN_WORKER": "false"}, port) as server:
            first = _post_follows(sinks, group, followers // 2)
            _kill(server)
        assert not accepted()
        # 2. Killed while the worker is processing a second batch.
        with serve(tmp_path, env, port) as server:
            second = _post_follows(sinks, group, followers)[followers // 2 :]
            _kill(server)
        with serve(tmp_path, env, port):
            _wait_for(lambda: set(accepted()) >= {*first, *second}, "every follow to be accepted")
        answered = accepted()

    assert set(answered) == {*first, *second}
    duplicates = sum(answered.values()) - followers
    print(f"inbox: {len(answered)} follows accepted, {duplicates} duplicate Accepts")
    assert 0 <= duplicates <= IN_FLIGHT_AT_MOST, duplicates

    async def stored(session):  # type: ignore[no-untyped-def]
        rows = (await session.exec(select(InboxActivity))).all()
        follows = (await session.exec(select(Follow.state))).all()
        return sorted({row.processed_at is not None for row in rows}), len(rows), Counter(follows)

    assert _in_database(tmp_path, env, stored) == ([True], followers, Counter(accepted=followers))
