"""What every adversarial case checks: the answer's status, that the database is exactly as it
was before the attack, and that the attacked instance sent nothing (and fetched no more than
the case allows).

Usage::

    watch = await Watch.start(net, b)
    response = await attacker.post(...)
    await watch.assert_untouched(response, 401)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.models import InboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, JsonObject, PeerActor, sign_cavage
from tests.server.db_access import Snapshot
from tests.server.db_access import take_snapshot as take_whole_snapshot

#: Cache bookkeeping that a refused request may move without changing what anyone sees:
#: a bad signature from a known key costs one rate-limited refetch of the actor (rotation).
CACHE_COLUMNS = {"remote_actors": {"fetched_at", "key_refreshed_at"}}


async def take_snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every table (first column: the id), less the cache columns above."""
    return await take_whole_snapshot(engine, CACHE_COLUMNS)


@dataclass
class Watch:
    """A database snapshot and a mark in the network's request log, taken before an attack."""

    net: FederationNet
    instance: Instance
    before: Snapshot
    mark: int

    @classmethod
    async def start(cls, net: FederationNet, instance: Instance) -> Watch:
        """Snapshot ``instance``'s database and remember where the request log stands."""
        before = await take_snapshot(instance.engine)
        return cls(net, instance, before, len(net.router.requests))

    def outgoing(self) -> list[httpx.Request]:
        """Requests the instance made since the start (to any host but itself)."""
        own = self.instance.settings.instance.domain
        return [r for r in self.net.router.requests[self.mark :] if r.url.host != own]

    def sent(self) -> list[httpx.Request]:
        """Deliveries (POSTs) the instance made since the start."""
        return [r for r in self.outgoing() if r.method != "GET"]

    def fetched(self) -> list[str]:
        """URLs the instance fetched since the start."""
        return [str(r.url) for r in self.outgoing() if r.method == "GET"]

    async def assert_untouched(
        self, response: httpx.Response | None = None, status: int | None = None, *, fetches: int = 0
    ) -> None:
        """The answer had ``status``; after the workers ran, no row changed, nothing was
        delivered, and at most ``fetches`` GETs went out."""
        if response is not None:
            assert response.status_code == status, (response.status_code, response.text[:500])
        await self.net.drain()
        after = await take_snapshot(self.instance.engine)
        assert after == self.before, changed_tables(self.before, after)
        assert self.sent() == [], [str(r.url) for r in self.sent()]
        assert len(self.fetched()) <= fetches, self.fetched()

    async def assert_ignored(self, response: httpx.Response, *, fetches: int = 0) -> list[str]:
        """The activity was accepted for processing (202) but changed nothing: the only new
        rows are the stored inbox activities, each with an ``ignored``/``failed`` result,
        and nothing was delivered. Returns those results."""
        assert response.status_code == 202, (response.status_code, response.text[:500])
        await self.net.drain()
        after = await take_snapshot(self.instance.engine)
        inbox = "inbox_activities"
        changed = changed_tables(self.before, after)
        assert set(changed) <= {inbox}, changed
        results = await self.new_inbox_results()
        assert results and all(r.startswith(("ignored", "failed")) for r in results), results
        assert self.sent() == [], [str(r.url) for r in self.sent()]
        assert len(self.fetched()) <= fetches, self.fetched()
        return results

    async def new_inbox_results(self) -> list[str]:
        """The results of inbox activities stored since the start."""
        known = {row[0] for row in self.before.get("inbox_activities", [])}

        async def query(session: Any) -> list[str]:
            statement = select(InboxActivity).order_by(InboxActivity.id)  # type: ignore[arg-type]
            rows = (await session.exec(statement)).all()
            return [row.result or "" for row in rows if row.id not in known]

        return list(await self.instance.run(query))


def changed_tables(before: Snapshot, after: Snapshot) -> dict[str, tuple[list[Any], list[Any]]]:
    """The rows that went and came, by table, where a table changed."""
    changes = {}
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            changes[table] = ([r for r in old if r not in new], [r for r in new if r not in old])
    return changes


def signed_post(
    actor: PeerActor, url: str, body: bytes | JsonObject, **sign: Any
) -> tuple[bytes, dict[str, str]]:
    """The body and Mastodon-style signed headers for a POST by ``actor`` (``sign`` tweaks it)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, sign_cavage(actor.key, actor.key_id, "POST", url, raw, **sign)


async def post_signed(
    net: FederationNet, actor: PeerActor, url: str, body: bytes | JsonObject, **sign: Any
) -> httpx.Response:
    """POST ``body`` to ``url`` signed by ``actor``."""
    raw, headers = signed_post(actor, url, body, **sign)
    return await net.http.post(url, content=raw, headers=headers)


async def know(instance: Instance, *actors: PeerActor) -> None:
    """Let ``instance`` fetch and cache these actors (and their keys) before a watch starts."""
    for actor in actors:
        await runtime_of(instance.app).remote.actor(actor.uri)


def activity_json(response: httpx.Response) -> JsonObject:
    """The JSON body of an ActivityStreams answer (checking its media type)."""
    assert response.headers["content-type"].startswith(AS_TYPE), response.headers
    document = response.json()
    assert isinstance(document, dict)
    return document
