"""The instance's secret key (signs session cookies), generated into the data dir on first run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"


def load_or_create_secret_key(data_dir: Path) -> str:
    """Read ``<data_dir>/secret_key``, creating it (mode 0600) if it does not exist yet."""
    path = data_dir / KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 32:
            return key
        raise ValueError(f"{path} holds a key that is too short; delete it to make a new one")
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key
