"""Where bundled files (static assets, migrations, templates) live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory of a bundled resource: inside the wheel, else at the repository root."""
    bundled = _PACKAGE_DIR / "_bundled" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / name


TEMPLATES_DIR = _PACKAGE_DIR / "templates"
