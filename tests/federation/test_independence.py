"""``federation/`` is a library: it must never import the application or its frameworks."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "federation"
FORBIDDEN = frozenset({"server", "starlette", "sqlmodel", "sqlalchemy"})
#: Third-party distributions the package may use besides the standard library (aiohttp,
#: with its own yarl and multidict, only as the transport under httpx; http_sf reads and
#: writes structured field values).
ALLOWED_THIRD_PARTY = frozenset(
    {"httpx", "cryptography", "aiohttp", "yarl", "multidict", "http_sf"}
)
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every absolute import in a module, wherever it appears."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_package_has_modules() -> None:
    assert PACKAGE / "verify.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_module_does_not_import_the_application(path: Path) -> None:
    assert not imported_roots(path) & FORBIDDEN


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_module_uses_only_the_allowed_libraries(path: Path) -> None:
    allowed = sys.stdlib_module_names | ALLOWED_THIRD_PARTY | {"federation", "__future__"}
    assert imported_roots(path) <= allowed


def test_the_walker_sees_every_import_form(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "import os, server.db\n"
        "from starlette.requests import Request\n"
        "from . import jsonld\n"
        "def f():\n"
        "    import sqlmodel\n"
        "try:\n"
        "    from sqlalchemy import text\n"
        "except ImportError:\n"
        "    pass\n"
    )
    assert imported_roots(module) == {"os", "server", "starlette", "sqlmodel", "sqlalchemy"}
