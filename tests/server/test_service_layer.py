"""The services layer depends on nothing above it: no module under ``server/services``
imports ``server.activitypub``, ``server.web`` or ``server.api`` (issue #17 §1). What
they must tell other servers goes through :mod:`server.services.outbound`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server.services import outbound

SERVICES = Path(__file__).resolve().parents[2] / "server" / "services"
ABOVE = ("server.activitypub", "server.web", "server.api", "server.app", "server.cli")

#: Imports not yet turned into domain events (issue #17 §1, in progress); shrinks to empty.
NOT_YET = {
    "posts.py": {
        "server.activitypub.member_audience",
        "server.activitypub.mentions",
        "server.activitypub.publish",
    },
    "relay_send.py": {"server.activitypub.member_audience", "server.activitypub.publish"},
}


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute, or relative resolved within the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = ["server", "services"][: 3 - node.level]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.add(base)
            if base == "server":  # from server import activitypub
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _upward(path: Path) -> set[str]:
    return {
        name
        for name in _imported_modules(path)
        if any(name == top or name.startswith(f"{top}.") for top in ABOVE)
    }


def test_services_import_nothing_from_the_layers_above() -> None:
    offenders = {}
    for path in sorted(SERVICES.rglob("*.py")):
        upward = _upward(path)
        if upward != NOT_YET.get(path.name, set()):
            offenders[path.name] = sorted(upward)
    assert offenders == {}, "services must not import server.activitypub, web, api, app or cli"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        "from server.activitypub.publish import publish\nfrom ..web import common\n"
        "import server.api.posts\nfrom server import cli, models\n"
        "from server.models import Event\n",
        encoding="utf-8",
    )
    assert _upward(module) == {
        "server.activitypub.publish",
        "server.web",
        "server.api.posts",
        "server.cli",
    }


async def test_an_event_without_a_handler_is_refused() -> None:
    class Unheard(outbound.DomainEvent):
        pass

    with pytest.raises(outbound.UnhandledEvent, match="Unheard"):
        await outbound.emit(None, Unheard(uris=None))  # type: ignore[arg-type]
