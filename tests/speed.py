"""Autouse fixtures that keep the whole run fast without changing what is tested: cheap
Argon2id parameters, RSA key pairs from a small pool, templates and SQL statements compiled
once per run.
(Loaded for every test by tests/conftest.py.)"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import LRUCache
from starlette.templating import Jinja2Templates

import server.activitypub.local
import server.app
import server.db
import server.passwords
import server.services.groups
import server.services.users
from federation.keys import KeyPair, generate_rsa_keypair

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the lowest cost, so that the hundreds of accounts these tests create and
    log in with take milliseconds; hashes stay real Argon2id hashes, verified the same way.
    (The ``hearth`` processes started by test_serve and test_config use the real cost.)"""
    monkeypatch.setattr(server.passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(
        server.services.users, "_DUMMY_HASH", FAST_HASHER.hash("only for constant timing")
    )


@pytest.fixture(scope="session")
def rsa_key_pool() -> list[KeyPair]:
    """A few real RSA key pairs, made once per run."""
    return [generate_rsa_keypair() for _ in range(4)]


@pytest.fixture(autouse=True)
def pooled_rsa_keys(monkeypatch: pytest.MonkeyPatch, rsa_key_pool: list[KeyPair]) -> None:
    """New accounts, groups and the instance actor take their (real) key pairs from a small
    pool instead of generating 2048-bit keys each time; no test here checks signatures
    between two local actors."""
    keys = itertools.cycle(rsa_key_pool)

    def take(*_: object, **__: object) -> KeyPair:
        return next(keys)

    for module in (server.services.users, server.services.groups, server.activitypub.local):
        monkeypatch.setattr(module, "generate_rsa_keypair", take)


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole run (keyed by name and source)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session")
def template_bytecode() -> SharedBytecodeCache:
    return SharedBytecodeCache()


@pytest.fixture(autouse=True)
def compile_templates_once(
    monkeypatch: pytest.MonkeyPatch, template_bytecode: SharedBytecodeCache
) -> None:
    """Every test builds its own app, and so its own Jinja environment: let them share the
    compiled templates (a changed template has another key, so it is compiled afresh)."""
    make_templates = server.app.make_templates

    def with_shared_cache() -> Jinja2Templates:
        templates = make_templates()
        templates.env.bytecode_cache = template_bytecode
        return templates

    monkeypatch.setattr(server.app, "make_templates", with_shared_cache)


#: Room for every distinct statement the suite compiles (SQLAlchemy's default keeps 500).
STATEMENT_CACHE_SIZE = 20_000


class SharedStatements:
    """One compiled-statement cache and one dialect per database driver for the whole run.

    SQLAlchemy caches compiled SQL per engine, keyed by the engine's dialect object, and
    every test makes new engines: without this, each test compiled every statement again
    (an eighth of the suite's CPU). An engine adopts the driver's shared dialect once its
    own first connection has initialized it (the dialect learns the server's features
    then), so the shared dialect is always an initialized one."""

    def __init__(self) -> None:
        self.dialects: dict[str, Dialect] = {}
        self.caches: dict[str, LRUCache[Any, Any]] = {}

    def adopt(self, engine: Engine) -> None:
        driver = f"{engine.dialect.name}+{engine.dialect.driver}"

        def first_connection(*_: object) -> None:
            engine.dialect = self.dialects.setdefault(driver, engine.dialect)
            engine._compiled_cache = self.caches.setdefault(driver, LRUCache(STATEMENT_CACHE_SIZE))

        event.listen(engine.pool, "connect", first_connection, once=True)


@pytest.fixture(scope="session", autouse=True)
def compile_statements_once() -> Iterator[None]:
    """Engines made through ``server.db`` share compiled statements (:class:`SharedStatements`)."""
    shared = SharedStatements()
    create_async_engine = server.db.create_async_engine

    def create(*args: Any, **kwargs: Any) -> AsyncEngine:
        engine = create_async_engine(*args, **kwargs)
        shared.adopt(engine.sync_engine)
        return engine

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server.db, "create_async_engine", create)
        yield
