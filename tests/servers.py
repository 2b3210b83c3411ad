"""Real ``hearth`` processes for end-to-end tests: CLI calls and ``hearth serve`` on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

READY_TIMEOUT_SECONDS = 60.0  # generous: CI machines can be busy (2 cores, parallel test runs)
PASSWORD = "a long enough password"


@dataclass(frozen=True)
class HearthServer:
    """A running server: where it listens and where its log goes."""

    base_url: str
    domain: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None


def hearth_command() -> Path:
    """The installed ``hearth`` script next to this Python."""
    command = Path(sys.executable).with_name("hearth")
    if not command.exists():
        pytest.fail(f"the `hearth` command is not installed next to {sys.executable}")
    return command


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without HEARTH_* variables, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTH_")}
    env.update(settings)
    return env


def run_hearth(workdir: Path, env: Mapping[str, str], *args: str, stdin: str = "") -> str:
    """Run a ``hearth`` subcommand and return its standard output (fails the test on error)."""
    result = subprocess.run(
        [hearth_command(), *args],
        cwd=workdir,
        env=dict(env),
        input=stdin.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"hearth {' '.join(args)} failed: {result.stderr.decode()}")
    return result.stdout.decode()


def create_user(
    workdir: Path, env: Mapping[str, str], username: str, *, admin: bool = False
) -> None:
    """Create an account with the CLI (password: PASSWORD)."""
    extra = ["--admin"] if admin else []
    run_hearth(
        workdir,
        env,
        "user",
        "create",
        username,
        "--email",
        f"{username}@example.org",
        "--password-stdin",
        *extra,
        stdin=PASSWORD,
    )


def _wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, verify: ssl.SSLContext | bool = True
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hearth serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url, timeout=1.0, verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"hearth serve was not ready within {READY_TIMEOUT_SECONDS:.0f} s:\n{log_path.read_text()}"
    )


@contextmanager
def serve(
    workdir: Path,
    env: Mapping[str, str],
    port: int,
    *,
    scheme: str = "http",
    verify: str | bool = True,
    options: tuple[str, ...] = (),
) -> Iterator[HearthServer]:
    """Run ``hearth serve`` on 127.0.0.1:``port`` until the block ends (``verify``: the CA
    file to trust when it serves https)."""
    domain = env.get("HEARTH_INSTANCE_DOMAIN", f"127.0.0.1:{port}")
    log_path = workdir / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [hearth_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            cwd=workdir,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(f"{scheme}://127.0.0.1:{port}/", process, log_path, verify)
            yield HearthServer(f"http://{domain}", domain, log_path, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
