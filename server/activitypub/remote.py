"""Remote actors: fetched with a signed GET, validated, sanitized and cached; and the key
resolver that signature verification uses (cache first, one rate-limited refetch)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx
from cachetools import TTLCache
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.actors import ActorError, parse_actor
from federation.actors import RemoteActor as RemoteActorInfo
from federation.addresses import same_origin
from federation.fetch import FetchError, FetchStatusError, FetchTransportError, fetch_object
from federation.jsonld import JsonObject, get_id
from federation.verify import ActorKey, KeyResolver
from federation.webfinger import WebFingerError, lookup
from server.activitypub.group_commit import GroupCommit
from server.activitypub.local import LocalActor, instance_actor, local_actor_by_uri
from server.config import Settings
from server.db import transaction, upsert, utcnow
from server.markup import html_to_text, sanitize_html
from server.models import RemoteActor
from server.services.federation_policy import DomainPolicy
from server.ttl_cache import ttl_cache
from server.uris import LocalUris, host_of

log = logging.getLogger(__name__)

REFRESH_AFTER = timedelta(days=1)
KEY_REFETCH_INTERVAL = timedelta(minutes=5)
#: How long a verified-against key is reused from memory. A key that stops verifying is
#: looked up again at once (``refresh``), so rotations are never held up by the cache.
KEY_CACHE_SECONDS = 300.0
#: Key fetches that found no answer (network failure, timeout, 5xx) from one host within
#: ``KEY_REFETCH_INTERVAL`` before we stop trying: only what the host itself did counts.
MAX_KEY_FAILURES_PER_HOST = 3
#: Key fetches that found no key (404, 410, no such key, a wrong document), caused by the
#: requests of one sender address within ``KEY_REFETCH_INTERVAL``, before that address's
#: unknown key ids are no longer fetched. Charged to whoever sent the unverified request,
#: never to the host the key id names (issue #15: that let anyone lock a server out).
MAX_KEY_FAILURES_PER_SENDER = 3
#: How long the instance actor (which signs our fetches) is reused from memory.
SIGNER_CACHE_SECONDS = 60.0
#: At most this many actors stored, or key ids looked up, in one transaction.
MAX_ACTOR_BATCH = 100
#: How long an actor this process stored is taken as known without reading it back: the
#: activity whose signature caused the fetch is processed moments later.
STORED_ACTOR_SECONDS = 60.0


class _Fetch:
    """The key must be fetched."""


_FETCH = _Fetch()


class _Look(TypedDict):
    """How a key is looked up: refreshed or not, for which sender, and which PEM failed."""

    refresh: bool
    sender: str
    tried: str


class RemoteError(Exception):
    """A remote actor or object could not be fetched or is not acceptable."""


def _safe_url(value: str | None) -> str:
    if not value:
        return ""
    return value if urlsplit(value).scheme in ("http", "https") else ""


def _actor_row(info: RemoteActorInfo, now: datetime) -> dict[str, Any]:
    """The columns of an actor's row, sanitized: what the upsert writes."""
    return {
        "uri": info.id,
        "type": info.type,
        "username": (info.preferred_username or "")[:255],
        "domain": urlsplit(info.id).netloc.lower(),
        "name": html_to_text(info.name or "")[:255],
        "summary_html": sanitize_html(info.summary_html or ""),
        "url": _safe_url(info.url),
        "icon_url": _safe_url(info.icon_url),
        "inbox": info.inbox,
        "shared_inbox": info.shared_inbox or "",
        "outbox": info.outbox or "",
        "followers": info.followers or "",
        "key_id": info.key_id or "",
        "public_key_pem": info.public_key_pem or "",
        "manually_approves_followers": info.manually_approves_followers,
        "fetched_at": now,
    }


async def _upsert_actors(session: AsyncSession, rows: list[dict[str, Any]]) -> list[RemoteActor]:
    """Insert or update actors' rows (see :func:`_actor_row`) in one statement; their rows
    as stored, in the order given (an actor given twice: its last document)."""
    unique = list({row["uri"]: row for row in rows}.values())
    statement = upsert(session, RemoteActor, unique, key="uri").returning(RemoteActor)
    stored = await session.exec(statement, execution_options={"populate_existing": True})
    by_uri = {actor.uri: actor for actor in stored.scalars()}
    return [by_uri[row["uri"]] for row in rows]


#: For a key id: the actor whose key it is, and the actor whose document it names.
_KeyRows = tuple[RemoteActor | None, RemoteActor | None]


async def _actors_of_keys(session: AsyncSession, key_ids: list[str]) -> list[_KeyRows]:
    """For each key id, the stored actor with that key and the one whose document the key
    id names, all found with one query. The second counts for an unknown key id of a known
    actor (``#key-7``), so made-up key ids cannot buy one refetch each."""
    documents = {key_id.split("#", 1)[0] for key_id in key_ids}
    query = select(RemoteActor).where(
        or_(col(RemoteActor.key_id).in_(set(key_ids)), col(RemoteActor.uri).in_(documents))
    )
    found = (await session.exec(query)).all()
    with_key: dict[str, RemoteActor] = {}
    for actor in found:
        with_key.setdefault(actor.key_id, actor)
    with_uri = {actor.uri: actor for actor in found}
    return [(with_key.get(key_id), with_uri.get(key_id.split("#", 1)[0])) for key_id in key_ids]


class Remote:
    """Fetches remote objects as the instance actor and keeps the actor cache."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
        policy: DomainPolicy,
    ) -> None:
        self.settings = settings
        self.http = http
        self.sessions = sessions
        self.policy = policy
        self.uris = LocalUris(settings)
        interval = KEY_REFETCH_INTERVAL.total_seconds()
        #: Key ids that failed lately, per sender address: ``"<sender> <key id>"``.
        self._failed_keys: TTLCache[str, bool] = ttl_cache(interval)
        #: When key fetches failed lately, by the sender (or host) that is charged.
        self._sender_failures: TTLCache[str, list[datetime]] = ttl_cache(interval)
        self._host_failures: TTLCache[str, list[datetime]] = ttl_cache(interval)
        #: Actors whose key each sender caused a refetch of lately: ``(sender, actor)``.
        self._sender_refreshes: TTLCache[tuple[str, str], bool] = ttl_cache(interval)
        #: Keys by key id, as last read or fetched, for :data:`KEY_CACHE_SECONDS`: most
        #: inbox POSTs are verified without asking the database.
        self._key_cache: TTLCache[str, ActorKey] = ttl_cache(KEY_CACHE_SECONDS)
        #: The key ids in ``_key_cache`` by owner, so that storing an actor drops its old
        #: keys from memory without reading the row it replaces.
        self._cached_key_ids: TTLCache[str, frozenset[str]] = ttl_cache(KEY_CACHE_SECONDS)
        self._key_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._signer: tuple[LocalActor, float] | None = None
        self._signer_lock = asyncio.Lock()
        #: Actors stored by this process within :data:`STORED_ACTOR_SECONDS`.
        #: Actors this process stored lately, with their inboxes (see :meth:`known_inbox`).
        self._stored: TTLCache[str, str] = ttl_cache(STORED_ACTOR_SECONDS)
        #: Actors fetched at the same time (a burst of new senders) share one commit.
        self._actor_writer = GroupCommit(sessions, _upsert_actors, MAX_ACTOR_BATCH)
        #: ... and look up their keys together.
        self._key_lookups = GroupCommit(sessions, _actors_of_keys, MAX_ACTOR_BATCH)

    async def fetch(self, url: str) -> JsonObject:
        """GET an ActivityStreams object, signed by the instance actor, with every safety check."""
        self._check_host(host_of(url))
        signer = await self._instance_signer()
        try:
            return await fetch_object(self.http, url, sign=signer.sign)
        except FetchError as exc:
            raise RemoteError(f"could not fetch {url}: {exc}") from exc

    async def _instance_signer(self) -> LocalActor:
        """The instance actor that signs fetches, read once per ``SIGNER_CACHE_SECONDS``
        rather than once per fetch."""
        async with self._signer_lock:  # the first fetches of a burst make one key pair
            if self._signer is None or self._signer[1] <= time.monotonic():
                async with transaction(self.sessions) as session:
                    signer = await instance_actor(session, self.uris)
                self._signer = (signer, time.monotonic() + SIGNER_CACHE_SECONDS)
            return self._signer[0]

    def _check_host(self, host: str) -> None:
        """Blocked domains (or, in allowlist mode, unlisted ones) are never contacted."""
        if not self.policy.allows(host):
            raise RemoteError(f"this instance does not federate with {host}")

    async def cached_actor(self, uri: str) -> RemoteActor | None:
        """The cached actor with this URI, if any."""
        async with transaction(self.sessions) as session:
            return (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()

    async def actor(self, uri: str, *, refresh: bool = False) -> RemoteActor:
        """A remote actor from the cache, fetched if unknown, stale or ``refresh`` is asked."""
        if self.uris.is_local(uri):
            raise RemoteError(f"{uri} is a local URI")
        cached = await self.cached_actor(uri)
        if cached and not refresh and utcnow() - cached.fetched_at < REFRESH_AFTER:
            return cached
        document = await self.fetch(uri)
        return await self.store_actor(document, uri)

    async def ensure_actor(self, uri: str) -> None:
        """Make sure an actor is known and fresh (see :meth:`actor`); no database read when
        this process stored it within ``STORED_ACTOR_SECONDS`` (a new sender's key fetch)."""
        if uri in self._stored:
            return
        await self.actor(uri)

    async def store_actor(self, document: JsonObject, fetched_from: str) -> RemoteActor:
        """Validate an actor document fetched from ``fetched_from`` and upsert it; returns
        once it is committed (with the actors other callers stored at the same time)."""
        try:
            info = parse_actor(document, fetched_from)
        except ActorError as exc:
            raise RemoteError(f"{fetched_from} is not a usable actor: {exc}") from exc
        row = await self._actor_writer.submit(_actor_row(info, utcnow()))
        self._forget_cached_keys(row.uri)
        self._key_cache.pop(row.key_id, None)
        self._stored[row.uri] = row.inbox
        return row

    def known_inbox(self, uri: str) -> str | None:
        """The inbox of an actor this process stored within ``STORED_ACTOR_SECONDS`` (the
        sender of an activity being processed, just fetched for its key), else None."""
        return self._stored.get(uri) or None

    async def actor_by_handle(self, handle: str) -> RemoteActor:
        """Find a remote account by ``@name@domain`` through WebFinger."""
        self._check_host(handle.rsplit("@", 1)[-1].lower())
        try:
            uri = await lookup(self.http, handle, scheme=self._webfinger_scheme(handle))
        except WebFingerError as exc:
            raise RemoteError(str(exc)) from exc
        return await self.actor(uri, refresh=True)

    def _webfinger_scheme(self, handle: str) -> str:
        """https; plain http only to loopback hosts when private addresses are allowed."""
        host = handle.rsplit("@", 1)[-1].split(":")[0].lower()
        local = host in ("localhost", "127.0.0.1") or host.startswith("127.")
        return "http" if local and self.settings.federation.allow_private_addresses else "https"

    def key_resolver(self, sender: str, actor: str | None = None) -> KeyResolver:
        """The key resolver for one request from the address ``sender``. With ``actor`` (an
        inbox POST), a key id on another origin than the actor's is refused before any
        fetch: its owner could never be that actor."""

        async def resolve(key_id: str, *, refresh: bool) -> ActorKey | None:
            if actor is not None and not same_origin(key_id, actor):
                return None
            return await self.resolve_key(key_id, refresh=refresh, sender=sender)

        return resolve

    async def resolve_key(self, key_id: str, *, refresh: bool, sender: str = "") -> ActorKey | None:
        """The key resolver for signature verification (see ``federation.verify``);
        ``sender`` is the address of the request (what failures are charged to).

        Concurrent requests signed with the same key id share one fetch: the first takes
        the key's lock and fetches, the others wait and then find the stored result (or the
        fresh ``key_refreshed_at`` mark), so a burst of bad signatures costs at most two
        fetches (the first sight, then one refresh), not one per request.
        """
        tried = ""
        if refresh:
            dropped = self._key_cache.pop(key_id, None)
            tried = dropped.public_key_pem if dropped else ""
        elif cached := self._key_cache.get(key_id):
            return cached
        look = _Look(refresh=refresh, sender=sender, tried=tried)
        found = await self._stored_key(key_id, look, mark=False)
        if isinstance(found, _Fetch):
            async with self._key_lock(key_id) as alone:
                found = await self._after_waiting(key_id, alone, look)
                if isinstance(found, _Fetch):
                    found = await self._fetch_key(key_id, sender)
        if found is not None:
            self._remember_key(key_id, found)
        return found

    def _remember_key(self, key_id: str, key: ActorKey) -> None:
        """Keep a key in memory for :data:`KEY_CACHE_SECONDS`, findable by its owner."""
        self._key_cache[key_id] = key
        self._cached_key_ids[key.owner] = self._cached_key_ids.get(key.owner, frozenset()) | {
            key_id
        }

    def _forget_cached_keys(self, owner: str) -> None:
        """Drop the keys of ``owner`` kept in memory (its document was stored anew)."""
        for key_id in self._cached_key_ids.pop(owner, frozenset()):
            self._key_cache.pop(key_id, None)

    async def _after_waiting(
        self, key_id: str, alone: bool, look: _Look
    ) -> ActorKey | _Fetch | None:
        """What to do once the key's lock is ours: a request that waited finds the key
        the one before it fetched in memory; the first sight of a key nobody else is
        fetching goes straight to the fetch (its lookup a moment ago found nothing)."""
        if not look["refresh"]:
            if cached := self._key_cache.get(key_id):
                return cached
            if alone:
                return _FETCH
        return await self._stored_key(key_id, look, mark=True)

    def forget_keys_of(self, actor_uri: str) -> None:
        """Drop an actor's keys from memory (the actor was deleted)."""
        self._stored.pop(actor_uri, None)
        self._forget_cached_keys(actor_uri)

    def _refreshed_for(self, sender: str, actor_uri: str) -> bool:
        """Whether this sender's requests caused a refetch of this actor's key lately: a
        sender's bad signatures cost one refetch per actor per interval, and never hold up
        another sender's rotated key (issue #15)."""
        return (sender, actor_uri) in self._sender_refreshes

    async def _stored_key(
        self, key_id: str, look: _Look, *, mark: bool
    ) -> ActorKey | _Fetch | None:
        """The known key; for a refresh (see ``look``), a stored key other than ``tried``
        (the PEM that just failed: another process fetched a newer one), ``None`` (this
        sender refetched moments ago) or ``_FETCH`` (with ``mark``: marking the refetch).
        Lookups without ``mark`` that arrive together share one query."""
        if self.uris.is_local(key_id) and (local := await self._local_key(key_id)):
            return local
        if not mark:
            return self._key_from(await self._key_lookups.submit(key_id), look)
        async with transaction(self.sessions) as session:
            [found] = await _actors_of_keys(session, [key_id])
            key = self._key_from(found, look)
            if isinstance(key, _Fetch) and (row := found[0] or found[1]) is not None:
                row.key_refreshed_at = utcnow()
                session.add(row)
                self._sender_refreshes[(look["sender"], row.uri)] = True
        return key

    async def _local_key(self, key_id: str) -> ActorKey | None:
        """The key of a local actor (a group, a user, the instance actor), if it exists."""
        async with transaction(self.sessions) as session:
            local = await local_actor_by_uri(session, self.uris, key_id)
        return ActorKey(local.key_id, local.uri, local.public_key_pem) if local else None

    def _key_from(self, found: _KeyRows, look: _Look) -> ActorKey | _Fetch | None:
        """What the stored rows of a key id say (see :meth:`_stored_key`)."""
        with_key, with_document = found
        if with_key is not None and (
            not look["refresh"] or with_key.public_key_pem != look["tried"]
        ):
            return ActorKey(with_key.key_id, with_key.uri, with_key.public_key_pem)
        row = with_key or with_document
        if row is not None and self._refreshed_for(look["sender"], row.uri):
            return None  # bad signatures must not cause a fetch storm
        return _FETCH

    @contextlib.asynccontextmanager
    async def _key_lock(self, key_id: str) -> AsyncIterator[bool]:
        """One fetch of a key at a time; the lock is dropped when nobody holds or awaits it.
        Yields whether nobody else held or awaited it when we asked."""
        lock, users = self._key_locks.get(key_id, (asyncio.Lock(), 0))
        self._key_locks[key_id] = (lock, users + 1)
        try:
            async with lock:
                yield users == 0
        finally:
            lock, users = self._key_locks[key_id]
            if users <= 1:
                del self._key_locks[key_id]
            else:
                self._key_locks[key_id] = (lock, users - 1)

    async def _fetch_key(self, key_id: str, sender: str) -> ActorKey | None:
        if f"{sender} {key_id}" in self._failed_keys:
            return None
        url = key_id.split("#", 1)[0]
        if self._is_failing(self._host_failures, host_of(url), MAX_KEY_FAILURES_PER_HOST):
            return None
        if self._is_failing(self._sender_failures, sender, MAX_KEY_FAILURES_PER_SENDER):
            return None
        try:
            document = await self.fetch(url)
            owner = get_id(document.get("owner"))
            if document.get("type") in ("Key", "CryptographicKey") and owner:
                if not same_origin(owner, url):  # a key speaks only for its own server
                    raise RemoteError(f"the key {key_id} names an owner elsewhere: {owner}")
                url = owner
                document = await self.fetch(url)
            row = await self.store_actor(document, url)
            if row.key_id != key_id:
                raise RemoteError(f"{row.uri} has no key {key_id}")
        except RemoteError as exc:
            log.info("key %s could not be fetched: %s", key_id, exc)
            self._count_failure(key_id, url, sender, exc)
            return None
        return ActorKey(row.key_id, row.uri, row.public_key_pem)

    def _count_failure(self, key_id: str, url: str, sender: str, exc: RemoteError) -> None:
        """A host is charged only for not answering (network, timeout, 5xx); a key id that
        is not there is charged to the sender of the request that named it."""
        now = utcnow()
        self._failed_keys[f"{sender} {key_id}"] = True
        cause = exc.__cause__
        host_failed = isinstance(cause, FetchTransportError) or (
            isinstance(cause, FetchStatusError) and cause.status >= 500
        )
        failures, who = (
            (self._host_failures, host_of(url)) if host_failed else (self._sender_failures, sender)
        )
        failures[who] = [*failures.get(who, []), now]  # kept KEY_REFETCH_INTERVAL from now

    @staticmethod
    def _is_failing(failures: TTLCache[str, list[datetime]], who: str, limit: int) -> bool:
        """Whether ``who`` (a host, or a sender address) has ``limit`` failed key fetches
        lately: made-up key ids then stop costing a fetch each until
        ``KEY_REFETCH_INTERVAL`` has passed. Keys already known keep working."""
        now = utcnow()
        recent = [t for t in failures.get(who, []) if now - t < KEY_REFETCH_INTERVAL]
        if recent:
            failures[who] = recent
        else:
            failures.pop(who, None)
        return len(recent) >= limit
