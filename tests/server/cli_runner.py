"""Run the ``hearth`` command in-process, as a shell would, and keep what it printed."""

from __future__ import annotations

import getpass
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


class Terminal(io.StringIO):
    """Standard input that says it is a terminal (so the CLI prompts)."""

    def isatty(self) -> bool:
        return True


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    stdin: str = "",
    typed: list[str] | None = None,
) -> CliResult:
    """``hearth ARGS`` with ``stdin`` as standard input (not a terminal), or at a terminal
    where ``typed`` answers the password prompts one by one."""
    if typed is None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    else:
        answers = iter(typed)
        monkeypatch.setattr(sys, "stdin", Terminal())
        monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    capsys.readouterr()
    try:
        status = main(args)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return CliResult(status=status, out=captured.out, err=captured.err)
