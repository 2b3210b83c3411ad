"""What each ``hearth`` subcommand does (argument parsing lives in ``server.cli``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from server.cli import CliError, _read_password
from server.config import Settings
from server.db import engine_for, session_factory, transaction
from server.migrate import migrate, pending_migrations
from server.secret_key import load_or_create_secret_key


def _safe_url(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on the configured database, refusing a schema that needs migrating.
    The services' domain events get their handlers (server.activitypub registers them)."""
    import server.activitypub  # noqa: F401

    engine = engine_for(settings)
    try:
        if await pending_migrations(engine):
            if not settings.database_url.startswith("sqlite"):
                raise CliError("the database needs migrating: run `hearth migrate` first")
            await migrate(engine)  # the embedded database migrates itself, as `serve` does
        async with transaction(session_factory(engine)) as session:
            yield session
    except (OperationalError, DBAPIError, OSError) as exc:
        raise CliError(f"cannot use the database {_safe_url(settings)}: {exc}") from None
    finally:
        await engine.dispose()


async def _migrate(settings: Settings) -> list[str]:
    engine = engine_for(settings)
    try:
        pending = await pending_migrations(engine)
        if pending:
            await migrate(engine)
        return pending
    except (OperationalError, DBAPIError, OSError) as exc:
        raise CliError(f"cannot migrate the database {_safe_url(settings)}: {exc}") from None
    finally:
        await engine.dispose()


async def _has_accounts(settings: Settings) -> bool:
    from sqlmodel import func, select

    from server.models import User

    async with _session(settings) as session:
        return bool((await session.exec(select(func.count()).select_from(User))).one())


def _offer_setup(settings: Settings) -> None:
    """With no account yet, print the one-time code that opens /setup in the browser."""
    from server.setup_code import create_setup_code

    code = create_setup_code(settings.data_path)
    print(
        f"\nNo account exists yet. Open {settings.base_url}/setup and enter this one-time"
        f" code to create the admin account:\n\n    {code}\n\n"
        "(Or, in another terminal: hearth user create NAME --email ADDRESS --admin)\n",
        flush=True,
    )


async def migrate_cmd(args: argparse.Namespace, settings: Settings) -> int:
    """Apply pending migrations."""
    applied = await _migrate(settings)
    print(f"applied {len(applied)} migration(s)" if applied else "the database is up to date")
    return 0


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate (SQLite) or check the schema (PostgreSQL), then run uvicorn."""
    import asyncio

    import uvicorn

    from server.app import create_app

    if settings.database_url.startswith("sqlite"):
        asyncio.run(_migrate(settings))
    else:
        engine = engine_for(settings)
        try:
            pending = asyncio.run(pending_migrations(engine))
        except (OperationalError, DBAPIError, OSError) as exc:
            raise CliError(f"cannot reach the database {_safe_url(settings)}: {exc}") from None
        if pending:
            raise CliError("the database needs migrating: run `hearth migrate` first")
    load_or_create_secret_key(settings.data_path)
    server = settings.server
    workers = getattr(args, "workers", 1)
    print(
        f"Hearth is serving {settings.base_url} on {server.host}:{server.port}"
        + (f" with {workers} processes" if workers > 1 else ""),
        flush=True,
    )
    if not asyncio.run(_has_accounts(settings)):
        _offer_setup(settings)
    if workers > 1:
        if getattr(args, "config_path", None):
            os.environ["HEARTH_CONFIG"] = args.config_path  # read again by each process
        # The domain may come from --port (see cli._with_server_overrides): pass it on.
        os.environ["HEARTH_INSTANCE_DOMAIN"] = settings.instance.domain
        app: str | Starlette = "server.app:app_from_environment"
    else:
        app = create_app(settings)
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=server.host,
        port=server.port,
        ssl_certfile=server.ssl_certfile or None,
        ssl_keyfile=server.ssl_keyfile or None,
        proxy_headers=False,  # the app applies server.trusted_proxies itself
        log_level="info",
    )
    return 0


async def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Process inboxes and deliver activities until interrupted."""
    from server.activitypub.runtime import runtime_of
    from server.app import create_app, settle_heap

    engine = engine_for(settings)
    try:
        if await pending_migrations(engine):
            raise CliError("the database needs migrating: run `hearth migrate` first")
    except (OperationalError, DBAPIError, OSError) as exc:
        raise CliError(f"cannot reach the database {_safe_url(settings)}: {exc}") from None
    runtime = runtime_of(create_app(settings, engine=engine, run_worker=False))
    if getattr(args, "concurrency", None):
        runtime.worker.set_concurrency(args.concurrency)
    settle_heap()
    print(f"Hearth worker for {settings.base_url} started", flush=True)
    try:
        await runtime.worker.run_forever()
    finally:
        await runtime.http.aclose()
        await engine.dispose()
    return 0


def compile_translations(args: argparse.Namespace, settings: Settings) -> int:
    """Write every translation catalog's ``.mo`` (run at build time; see docs/translating.md)."""
    from server.i18n_catalogs import LOCALE_DIR, compile_catalogs

    written = compile_catalogs(LOCALE_DIR, force=True)
    print(f"compiled {len(written)} catalog(s) in {LOCALE_DIR}")
    return 0


async def check(args: argparse.Namespace, settings: Settings) -> int:
    """Report on the config, the database, the actors' keys and the secret key."""
    from sqlmodel import select

    from federation.keys import KeyFormatError, load_private_key
    from server.activitypub.local import instance_actor
    from server.models import Group, User
    from server.uris import LocalUris

    print(f"config: ok ({settings.base_url}, registration {settings.instance.registration})")
    async with _session(settings) as session:
        users = list((await session.exec(select(User))).all())
        groups = list((await session.exec(select(Group))).all())
        actor = await instance_actor(session, LocalUris(settings))
        owners = [(f"@{u.username}", u.private_key_pem) for u in users]
        owners += [(f"group {g.slug}", g.private_key_pem) for g in groups]
        owners.append(("the instance actor", actor.private_key_pem))
        for owner, pem in owners:
            try:
                load_private_key(pem)
            except KeyFormatError as exc:
                raise CliError(f"the signing key of {owner} is unreadable: {exc}") from None
        print(f"database: ok ({_safe_url(settings)}, {len(users)} user(s), {len(groups)} group(s))")
        print(f"keys: ok ({len(owners)} actors can sign)")
    load_or_create_secret_key(settings.data_path)
    print(f"secret key: ok ({settings.data_path / 'secret_key'})")
    return 0


async def user_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create an account (active at once)."""
    from server.services.users import NewUser, create_user

    password = _read_password(args)
    async with _session(settings) as session:
        new = NewUser(args.username, args.email, password, args.display_name, is_admin=args.admin)
        user = await create_user(session, new, by_operator=True)
    from server.setup_code import use_up_setup_code

    use_up_setup_code(settings.data_path)  # the instance has an account: /setup closes
    role = "admin " if user.is_admin else ""
    print(f"created {role}user @{user.username}")
    return 0


async def user_set_password(args: argparse.Namespace, settings: Settings) -> int:
    """Set a new password."""
    from server.services.users import get_user, set_password

    password = _read_password(args)
    async with _session(settings) as session:
        user = await get_user(session, args.username)
        await set_password(session, user, password)
    print(f"password of @{user.username} changed")
    return 0


async def user_reset_link(args: argparse.Namespace, settings: Settings) -> int:
    """Print a password-reset link to give to the user."""
    from server.services.credentials import create_password_reset
    from server.services.users import get_user

    async with _session(settings) as session:
        user = await get_user(session, args.username)
        token = await create_password_reset(session, user)
    print(f"{settings.base_url}/reset/{token}")
    return 0


async def group_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create a group owned by an existing user."""
    from server.services.groups import GroupFields, create_group
    from server.services.users import get_user

    async with _session(settings) as session:
        owner = await get_user(session, args.owner)
        fields = GroupFields(name=args.name, summary=args.summary, location=args.location)
        group = await create_group(session, args.slug, fields, owner)
    print(f"created group {settings.base_url}/groups/{group.slug}")
    return 0


async def token_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create an API token and print it (it is shown only once)."""
    from server.services.credentials import create_api_token
    from server.services.users import get_user

    async with _session(settings) as session:
        user = await get_user(session, args.username)
        token = await create_api_token(session, user, args.name)
    print(token)
    return 0


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise CliError(f"{target} exists: choose a new file name")


def _write_new_file(target: Path, text: str) -> None:
    try:
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None


def _read_file(source: Path) -> bytes:
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}") from None


async def group_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write a group's archive (docs/group-archive.md) to a file."""
    import json

    from server.activitypub.group_archive import export_group
    from server.services.groups import get_group
    from server.uris import LocalUris

    target = Path(args.file)
    _refuse_existing(target)
    async with _session(settings) as session:
        group = await get_group(session, args.slug)
        archive = await export_group(session, LocalUris(settings), group)
    _write_new_file(target, json.dumps(archive, ensure_ascii=False, indent=1))
    print(
        f"wrote {target}: {len(archive['members'])} member(s), {len(archive['meetups'])} meetup(s)"
    )
    return 0


async def group_import(args: argparse.Namespace, settings: Settings) -> int:
    """Create a group from an archive file, owned by an existing user."""
    from server.activitypub.group_archive_schema import parse_archive
    from server.activitypub.group_import import import_group
    from server.errors import HearthError
    from server.services.users import get_user
    from server.uris import LocalUris

    source = Path(args.file)
    raw = _read_file(source)
    try:
        archive = parse_archive(raw)
    except HearthError as exc:
        raise CliError(f"{source}: {exc.message}") from None
    async with _session(settings) as session:
        owner = await get_user(session, args.owner)
        group = await import_group(session, LocalUris(settings), archive, owner, args.slug or "")
    print(f"imported group {settings.base_url}/groups/{group.slug} (was {archive.source.actor})")
    return 0
