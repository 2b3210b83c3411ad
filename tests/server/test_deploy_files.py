"""The deployment examples use commands and options the CLI really has."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import yaml

from server.cli import build_parser
from server.config import section_fields

ROOT = Path(__file__).resolve().parents[2]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_compose_runs_web_worker_postgres_and_caddy_with_real_options() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "postgres", "caddy", "migrate"} <= set(services)
    commands = _subcommands(build_parser())
    for name in ("web", "worker", "migrate"):
        command = services[name]["command"]
        assert command[0] == "hearth"
        parsed = commands[command[1]].parse_args(command[2:])  # exits on an unknown option
        assert parsed is not None
        environment = services[name]["environment"]
        assert environment["HEARTH_SERVER_RUN_WORKER"] == "false"
        assert environment["HEARTH_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["web"]["command"][2:] == ["--workers", "2"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]


def test_the_deployment_guide_is_linked_and_names_real_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/deploying.md" in readme
    guide = (ROOT / "docs" / "deploying.md").read_text()
    for variable in ("HEARTH_SERVER_RUN_WORKER", "HEARTH_FEDERATION_LEASE_SECONDS"):
        assert variable in guide
        section, key = variable.removeprefix("HEARTH_").lower().split("_", 1)
        assert key in {field.name for field in dataclasses.fields(section_fields()[section])}


def test_compose_refuses_to_start_without_a_domain_or_a_database_password() -> None:
    """Compose's ``${VAR:?message}`` stops ``docker compose up`` with the message when VAR is
    unset or empty; ``${VAR:-default}`` would start with a guessable password instead."""
    text = (ROOT / "compose.yaml").read_text()
    for variable, message in (
        ("HEARTH_DOMAIN", "set HEARTH_DOMAIN to your public host name"),
        ("POSTGRES_PASSWORD", "set POSTGRES_PASSWORD to a long random password"),
    ):
        uses = re.findall(r"\$\{" + variable + r"(:[?-]|)([^}]*)\}", text)
        required = [rest for kind, rest in uses if kind == ":?"]
        assert required and all(message in rest for rest in required), uses
    assert not re.findall(r"\$\{POSTGRES_PASSWORD(:-|\})", text)
    compose = yaml.safe_load(text)
    assert (
        "POSTGRES_PASSWORD:?" in compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    )


def test_readme_keeps_its_two_commands_first_and_its_links_and_images_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert blocks[0].strip().endswith(".venv/bin/hearth serve")
    assert blocks[1].strip().endswith(".venv/bin/pytest")
    targets = re.findall(r"\]\(((?:docs|deploy)/[^)#]+)(?:#[^)]*)?\)", readme)
    assert "docs/public-in-15-minutes.md" in targets and "docs/federation.md" in targets
    for target in targets:
        assert (ROOT / target).is_file(), target
    images = [target for target in targets if target.endswith(".png")]
    assert len(images) >= 4
    for image in images:
        assert (ROOT / image).stat().st_size < 200_000, image  # small enough for the repo
    guide = (ROOT / "docs" / "public-in-15-minutes.md").read_text()
    for step in ("Caddyfile", "[Service]", "[smtp]", "hearth backup", "/setup", "Upgrades"):
        assert step in guide, step
