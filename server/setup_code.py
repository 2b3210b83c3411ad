"""The one-time code that guards /setup, where the first admin account is made in the browser.

``hearth serve`` writes a fresh code to ``<data_dir>/setup_code`` (mode 0600) and prints it
on its console while no account exists; /setup asks for it. The code is used up (the file
removed) by the first successful setup, or by ``hearth user create``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

CODE_FILE = "setup_code"
#: No look-alike characters (0/o, 1/l/i): it is read off a terminal and typed.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _path(data_dir: Path) -> Path:
    return data_dir / CODE_FILE


def _normal(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def create_setup_code(data_dir: Path) -> str:
    """A new code ("abcd-efgh-jkmn"), replacing any older one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    path = _path(data_dir)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(code + "\n")
    return code


def has_setup_code(data_dir: Path) -> bool:
    """Whether a code is waiting to be used."""
    return _path(data_dir).is_file()


def setup_code_matches(data_dir: Path, typed: str) -> bool:
    """Whether ``typed`` is the current code (case, spaces and dashes aside)."""
    try:
        stored = _path(data_dir).read_text()
    except FileNotFoundError:
        return False
    return bool(typed) and secrets.compare_digest(_normal(typed), _normal(stored))


def claim_setup_code(data_dir: Path) -> Path | None:
    """Take the code for one setup attempt (an atomic rename, so of two browsers setting up
    at once in any process only one gets it). Returns where it went, or None if it was
    taken already; give it back with ``release_setup_code`` if the attempt fails."""
    claimed = data_dir / f"{CODE_FILE}.{secrets.token_hex(8)}"
    try:
        _path(data_dir).rename(claimed)
    except FileNotFoundError:
        return None
    return claimed


def release_setup_code(data_dir: Path, claimed: Path) -> None:
    """Put back a claimed code after a failed attempt."""
    claimed.rename(_path(data_dir))


def use_up_setup_code(data_dir: Path, claimed: Path | None = None) -> None:
    """Forget the code: the instance has its admin."""
    (claimed or _path(data_dir)).unlink(missing_ok=True)
