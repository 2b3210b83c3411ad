"""``hearth backup DIR``: a consistent copy of a running instance's data.

The SQLite database is copied with SQLite's online backup API (a snapshot that is
consistent even while ``hearth serve`` writes to it, WAL included), then the secret key and
the uploaded images. A PostgreSQL database is not copied here: ``pg_dump`` does that (see
docs/deploying.md); the key and the uploads still are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from server.cli import CliError
from server.config import Settings
from server.secret_key import KEY_FILE

DATABASE_FILE = "hearth.db"


def _target(raw: str) -> Path:
    """The backup folder: new, or empty (a backup never overwrites another)."""
    target = Path(raw)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliError(f"{target} exists and is not an empty folder: choose a new one")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        raise CliError("the SQLite database has no file to back up")
    return Path(url.database)


def _copy_sqlite(source: Path, destination: Path) -> None:
    if not source.is_file():
        raise CliError(f"no database at {source}")
    # Read-only URI: the backup never creates or changes the live database.
    live = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(destination)
    try:
        with copy:
            live.backup(copy, pages=1024)  # in steps, so the server's writes are not held up
        check = copy.execute("PRAGMA integrity_check").fetchone()
        if check != ("ok",):
            raise CliError(f"the copy of the database failed its integrity check: {check}")
    finally:
        copy.close()
        live.close()


def _copy_key(settings: Settings, target: Path) -> None:
    key = settings.data_path / KEY_FILE
    if not key.is_file():
        raise CliError(f"no secret key at {key}")
    descriptor = os.open(target / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.read_text())


def _copy_uploads(settings: Settings, target: Path) -> int:
    uploads = settings.uploads_path
    destination = target / "uploads"
    if not uploads.is_dir():
        destination.mkdir()
        return 0
    shutil.copytree(uploads, destination)
    return sum(1 for path in destination.rglob("*") if path.is_file())


def backup(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the database (SQLite), the secret key and the uploads into a new folder."""
    target = _target(args.directory)
    database = _sqlite_file(settings)
    if database is not None:
        _copy_sqlite(database, target / DATABASE_FILE)
    _copy_key(settings, target)
    count = _copy_uploads(settings, target)
    what = f"the database ({DATABASE_FILE}), " if database is not None else ""
    print(f"backed up {what}the secret key and {count} uploaded file(s) to {target}")
    if database is None:
        print("the database is PostgreSQL: back it up with pg_dump (see docs/deploying.md)")
    return 0
