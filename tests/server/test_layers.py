"""The layer map (``.importlinter``) holds: no module of server/ imports a layer above its
own, the API and the HTML pages do not import each other, every module of server/ has a
layer, and federation/ imports nothing of server/ (#17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on this checkout with ``config``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layer_contracts_are_kept() -> None:
    result = lint_imports(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_import_against_the_layers_breaks_the_contract(tmp_path: Path) -> None:
    """The contract has teeth: with the layers of ``models`` and ``db`` swapped, the models'
    use of the database module becomes an upward import, reported as a broken contract."""
    config = (ROOT / ".importlinter").read_text()
    swapped = config.replace("    models\n    db\n", "    db\n    models\n", 1)
    assert swapped != config
    (tmp_path / "swapped.ini").write_text(swapped)
    result = lint_imports(tmp_path / "swapped.ini")
    assert result.returncode != 0
    assert "server.models is not allowed to import server.db" in result.stdout
