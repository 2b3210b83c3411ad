"""The ``hearth`` command: serve, migrate, users, groups, tokens and a health check."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn

from server import __version__
from server.config import ConfigError, InstanceConfig, Settings, load_settings, validate
from server.passwords import MIN_PASSWORD_LENGTH, WeakPasswordError, check_password_rules

Command = Callable[[argparse.Namespace, Settings], Awaitable[int] | int]


class CliError(Exception):
    """A failure to report in one line (exit status 1)."""


def _fail(message: str, status: int) -> NoReturn:
    print(f"hearth: {message}", file=sys.stderr)
    raise SystemExit(status)


#: Tries at the interactive password prompt before giving up.
PASSWORD_TRIES = 5


def _read_password(args: argparse.Namespace) -> str:
    """The new password: from standard input (one line), or asked on the terminal, where a
    too short or mistyped one is explained and asked again."""
    if getattr(args, "password_stdin", False) or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CliError("no password was given on standard input")
        return password
    print(
        f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters "
        "(a few words make a good one).",
        file=sys.stderr,
    )
    for _ in range(PASSWORD_TRIES):
        first = getpass.getpass("Password: ")
        try:
            check_password_rules(first)
        except WeakPasswordError as exc:
            print(f"{exc} Try again.", file=sys.stderr)
            continue
        if first == getpass.getpass("Password again: "):
            return first
        print("The two passwords differ. Try again.", file=sys.stderr)
    raise CliError(f"no password set after {PASSWORD_TRIES} tries")


def _with_server_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    changes = {
        key: getattr(args, key)
        for key in ("host", "port", "ssl_certfile", "ssl_keyfile")
        if getattr(args, key, None) is not None
    }
    if not changes:
        return settings
    updated = dataclasses.replace(settings, server=dataclasses.replace(settings.server, **changes))
    if "port" in changes and settings.instance.domain == InstanceConfig.domain:
        # No domain configured: links and handles name the port actually served.
        instance = dataclasses.replace(settings.instance, domain=f"localhost:{changes['port']}")
        updated = dataclasses.replace(updated, instance=instance)
    validate(updated)
    return updated


def _positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="TOML config file (default: $HEARTH_CONFIG, else built-in defaults)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from server import commands

    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth: groups and meetups for neighborhoods, federated with the fediverse.",
        epilog="Settings come from --config and HEARTH_<SECTION>_<KEY> environment variables.",
    )
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    _add_config_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, help_text: str, func: Command, target: argparse._SubParsersAction = sub
    ) -> argparse.ArgumentParser:
        cmd = target.add_parser(name, help=help_text, description=help_text)
        _add_config_option(cmd)
        cmd.set_defaults(func=func)
        return cmd

    serve = command("serve", "run the web server (and the delivery worker)", commands.serve)
    serve.add_argument("--host", help="address to listen on (default: server.host)")
    serve.add_argument("--port", type=int, help="port to listen on (default: server.port)")
    serve.add_argument("--ssl-certfile", dest="ssl_certfile", help="TLS certificate (PEM)")
    serve.add_argument("--ssl-keyfile", dest="ssl_keyfile", help="TLS private key (PEM)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="web server processes (default 1); each runs a delivery worker unless "
        "server.run_worker = false (then run `hearth worker` separately)",
    )
    worker = command(
        "worker", "run only the delivery worker (with server.run_worker = false)", commands.worker
    )
    worker.add_argument(
        "--concurrency",
        type=_positive,
        default=None,
        help="deliveries under way at once in this process (default 256)",
    )
    command("migrate", "apply database migrations", commands.migrate_cmd)
    command("check", "check the config, the database and the keys", commands.check)
    command(
        "compile-translations",
        "compile the translation catalogs (server/locale/*/LC_MESSAGES/*.po) to .mo files",
        commands.compile_translations,
    )

    user = sub.add_parser("user", help="manage local accounts").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    create = command("create", "create an account", commands.user_create, user)
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument("--display-name", default="")
    create.add_argument("--admin", action="store_true", help="make the account an instance admin")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    setpw = command("set-password", "set an account's password", commands.user_set_password, user)
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    link = command(
        "reset-link", "print a one-hour password-reset link", commands.user_reset_link, user
    )
    link.add_argument("username")

    group = sub.add_parser("group", help="manage groups").add_subparsers(
        dest="group_command", metavar="ACTION", required=True
    )
    gcreate = command("create", "create a group", commands.group_create, group)
    gcreate.add_argument("slug", help="the group's handle, e.g. repair-cafe")
    gcreate.add_argument("--name", required=True)
    gcreate.add_argument("--owner", required=True, help="username of the group's first admin")
    gcreate.add_argument("--summary", default="", help="Markdown")
    gcreate.add_argument("--location", default="")
    gexport = command(
        "export",
        "write a group's archive (to move it to another server)",
        commands.group_export,
        group,
    )
    gexport.add_argument("slug", help="the group's handle")
    gexport.add_argument("file", help="the archive file to write (JSON, must not exist)")
    gimport = command("import", "create a group from an archive file", commands.group_import, group)
    gimport.add_argument("file", help="an archive written by `hearth group export`")
    gimport.add_argument("--owner", required=True, help="username of the group's admin here")
    gimport.add_argument("--slug", default="", help="another handle for the group here")

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    tcreate = command("create", "create an API token and print it", commands.token_create, token)
    tcreate.add_argument("username")
    tcreate.add_argument("--name", default="cli")

    from server.backup import backup

    save = command(
        "backup",
        "copy the SQLite database (safely, while serving), the secret key and uploads",
        backup,
    )
    save.add_argument("directory", help="a new or empty folder to write the copy to")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hearth`` console script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    config_path = getattr(args, "config", None) or os.environ.get("HEARTH_CONFIG")
    args.config_path = config_path
    try:
        settings = load_settings(Path(config_path) if config_path else None)
        settings = _with_server_overrides(settings, args)
    except ConfigError as exc:
        _fail(f"config error: {exc}", 2)
    from server.errors import HearthError

    try:
        result = args.func(args, settings)
        status = asyncio.run(result) if asyncio.iscoroutine(result) else result
    except (CliError, HearthError) as exc:
        _fail(str(exc), 1)
    except KeyboardInterrupt:
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
