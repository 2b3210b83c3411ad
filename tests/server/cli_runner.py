"""Run the ``hearth`` command in-process, as a shell would, and keep what it printed."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from server.cli import main


@dataclass(frozen=True)
class CliResult:
    """The exit status and the output of one ``hearth`` run."""

    status: int
    out: str
    err: str


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    stdin: str = "",
) -> CliResult:
    """``hearth ARGS`` with ``stdin`` as standard input (not a terminal)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        status = main(args)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return CliResult(status=status, out=captured.out, err=captured.err)
