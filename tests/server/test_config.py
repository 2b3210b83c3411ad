"""Settings: every problem names its key; the environment overrides the file; the example
config documents every key with its default; ``hearth check`` reports config errors in one line."""

from __future__ import annotations

import dataclasses
import subprocess
import tomllib
from pathlib import Path

import pytest

from server.config import ConfigError, Settings, load_settings, section_fields
from tests.server.conftest import CliRunner
from tests.servers import clean_env, hearth_command

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def write(tmp_path: Path, text: str, name: str = "hearth.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env or {})
    return caught.value


def test_defaults_without_a_file() -> None:
    settings = load_settings(None, env={})
    assert settings == Settings()
    assert settings.base_url == "http://localhost:8000"
    assert settings.database_url == "sqlite+aiosqlite:///data/hearth.db"
    assert settings.uploads_path == Path("data/uploads")


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ("[instance]\nnmae = 'x'\n", "instance.nmae", "not a known setting"),
        ("[instanse]\nname = 'x'\n", "instanse", "not a known section"),
        ("instance = 'x'\n", "instance", "must be a table"),
        ("[server]\nport = 'eighty'\n", "server.port", "whole number"),
        ("[server]\nport = true\n", "server.port", "whole number"),
        ("[server]\nport = 70000\n", "server.port", "between 1 and 65535"),
        ("[server]\nrun_worker = 'maybe'\n", "server.run_worker", "true or false"),
        ("[server]\nread_cache_seconds = 'soon'\n", "server.read_cache_seconds", "a number"),
        ("[server]\nread_cache_seconds = -1\n", "server.read_cache_seconds", "0 or more"),
        ("[server]\nread_cache_seconds = nan\n", "server.read_cache_seconds", "0 or more"),
        ("[instance]\nname = 5\n", "instance.name", "must be a string"),
        ("[federation]\nblocked_domains = [1]\n", "federation.blocked_domains", "list of strings"),
        ("[federation]\nblocked_domains = ['not a domain']\n", "federation.blocked_domains", ""),
        ("[instance]\nregistration = 'sometimes'\n", "instance.registration", "open, approval"),
        ("[federation]\nmode = 'friends'\n", "federation.mode", "open, blocklist, allowlist"),
        ("[instance]\ndomain = 'Town.Example'\n", "instance.domain", "lowercase host name"),
        ("[instance]\ndomain = 'town.example'\n", "instance.scheme", 'must be "https"'),
        ("[instance]\nscheme = 'ftp'\n", "instance.scheme", "https"),
        ("[instance]\ncontact_email = 'nobody'\n", "instance.contact_email", "email address"),
        ("[server]\nssl_certfile = 'cert.pem'\n", "server.ssl_keyfile", "set together"),
        ("[database]\nurl = 'mysql://db'\n", "database.url", "postgresql+asyncpg://"),
        ("[database]\nschema = 'Bad-Name'\n", "database.schema", "SQL identifier"),
        ("[uploads]\nmax_bytes = 10\n", "uploads.max_bytes", "at least 1024"),
        ("[federation]\nmax_inbox_bytes = 10\n", "federation.max_inbox_bytes", "at least 1024"),
        (
            "[federation]\nsignature_window_seconds = 1\n",
            "federation.signature_window_seconds",
            "at least 30",
        ),
    ],
)
def test_a_bad_file_names_the_key(tmp_path: Path, toml: str, key: str, words: str) -> None:
    error = load_error(tmp_path, toml)
    assert error.key == key
    assert str(error).startswith(f"{key}: ")
    assert words in str(error)
    assert str(tmp_path / "hearth.toml") in str(error)


def test_https_is_required_for_a_public_domain(tmp_path: Path) -> None:
    error = load_error(tmp_path, "[instance]\ndomain = 'town.example'\nscheme = 'http'\n")
    assert error.key == "instance.scheme"
    assert "town.example" in str(error)
    settings = load_settings(
        write(tmp_path, "[instance]\ndomain = 'town.example'\nscheme = 'https'\n"), env={}
    )
    assert settings.base_url == "https://town.example"


@pytest.mark.parametrize("domain", ["localhost", "localhost:8000", "127.0.0.1:9000"])
def test_http_is_allowed_for_local_domains(tmp_path: Path, domain: str) -> None:
    path = write(tmp_path, f"[instance]\ndomain = '{domain}'\nscheme = 'http'\n")
    assert load_settings(path, env={}).base_url == f"http://{domain}"


def test_invalid_toml_reports_the_file_and_the_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "[instance]\nname = 'Town'\nregistration = open\n")
    message = str(error)
    assert "not valid TOML" in message
    assert "line 3" in message
    assert str(tmp_path / "hearth.toml") in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nowhere.toml", env={})
    assert "nowhere.toml" in str(caught.value)
    assert "does not exist" in str(caught.value)


def test_ssl_files_must_exist(tmp_path: Path) -> None:
    error = load_error(tmp_path, "[server]\nssl_certfile = 'c.pem'\nssl_keyfile = 'k.pem'\n")
    assert error.key == "server.ssl_certfile"
    assert "c.pem does not exist" in str(error)
    (tmp_path / "c.pem").write_text("cert")
    (tmp_path / "k.pem").write_text("key")
    text = f"[server]\nssl_certfile = '{tmp_path}/c.pem'\nssl_keyfile = '{tmp_path}/k.pem'\n"
    assert load_settings(write(tmp_path, text), env={}).server.ssl_keyfile.endswith("k.pem")


def test_a_key_without_a_certificate_is_refused(tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_text("key")
    error = load_error(tmp_path, f"[server]\nssl_keyfile = '{tmp_path}/k.pem'\n")
    assert error.key.startswith("server.ssl_")
    assert "set together" in str(error)


def test_environment_overrides_with_parsing() -> None:
    env = {
        "HEARTH_INSTANCE_DOMAIN": "town.example",
        "HEARTH_INSTANCE_SCHEME": "https",
        "HEARTH_SERVER_PORT": "9001",
        "HEARTH_SERVER_RUN_WORKER": "off",
        "HEARTH_SERVER_READ_CACHE_SECONDS": "2.5",
        "HEARTH_FEDERATION_AUTHORIZED_FETCH": "YES",
        "HEARTH_FEDERATION_BLOCKED_DOMAINS": " a.example, b.example ,,",
        "HEARTH_SMTP_STARTTLS": "0",
        "HEARTH_UPLOADS_MAX_BYTES": "2048",
    }
    settings = load_settings(None, env=env)
    assert settings.base_url == "https://town.example"
    assert settings.server.port == 9001
    assert settings.server.run_worker is False
    assert settings.server.read_cache_seconds == 2.5
    assert settings.federation.authorized_fetch is True
    assert settings.federation.blocked_domains == ["a.example", "b.example"]
    assert settings.smtp.starttls is False
    assert settings.uploads.max_bytes == 2048


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[instance]\nname = 'From the file'\nregistration = 'closed'\n[server]\nport = 8100\n",
    )
    settings = load_settings(
        path, env={"HEARTH_INSTANCE_NAME": "From the env", "HEARTH_SERVER_PORT": "8200"}
    )
    assert settings.instance.name == "From the env"
    assert settings.server.port == 8200
    assert settings.instance.registration == "closed"


@pytest.mark.parametrize(
    ("var", "value", "key"),
    [
        ("HEARTH_SERVER_PORT", "eighty", "server.port"),
        ("HEARTH_SERVER_RUN_WORKER", "perhaps", "server.run_worker"),
        ("HEARTH_INSTANCE_REGISTRATION", "sometimes", "instance.registration"),
    ],
)
def test_a_bad_environment_value_names_the_variable(
    tmp_path: Path, var: str, value: str, key: str
) -> None:
    error = load_error(tmp_path, "[instance]\nname = 'Town'\n", env={var: value})
    assert error.key == key
    assert var in str(error)
    assert "hearth.toml" not in str(error)


def test_unrelated_environment_variables_are_ignored() -> None:
    settings = load_settings(None, env={"HEARTH_NOPE_THING": "1", "HEARTH_INSTANCE": "x"})
    assert settings == Settings()


def _documented_sections() -> dict[str, dict[str, object]]:
    with EXAMPLE.open("rb") as handle:
        return tomllib.load(handle)


def test_example_config_loads_to_the_defaults() -> None:
    assert load_settings(EXAMPLE, env={}) == Settings()


def test_example_config_documents_every_key_with_its_default() -> None:
    documented = _documented_sections()
    defaults = Settings()
    assert set(documented) == set(section_fields())
    for section in dataclasses.fields(Settings):
        values = getattr(defaults, section.name)
        keys = {f.name for f in dataclasses.fields(values)}
        assert set(documented[section.name]) == keys, section.name
        for key in keys:
            assert documented[section.name][key] == getattr(values, key), f"{section.name}.{key}"


def test_example_config_explains_every_key() -> None:
    """Each key has a comment somewhere above it in its section."""
    section = ""
    commented = False
    for line in EXAMPLE.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section, commented = stripped, False
        elif stripped.startswith("#"):
            commented = True
        elif "=" in stripped:
            assert commented, f"{section} {stripped.split('=')[0].strip()} has no comment"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[instance]\nregistration = 'sometimes'\n", "instance.registration"),
        ("[server]\nport = 'eighty'\n", "server.port"),
        ("[instance]\nname = 'x'\n[wat]\n", "wat"),
        ("[instance\n", "--config"),
    ],
)
def test_check_with_a_bad_config_exits_2_in_one_line(
    tmp_path: Path, cli: CliRunner, toml: str, key: str
) -> None:
    path = write(tmp_path, toml, "bad.toml")
    result = cli("--config", str(path), "check")
    assert result.status == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"hearth: config error: {key}")
    assert "bad.toml" in lines[0]
    assert "Traceback" not in result.err


def test_check_with_a_missing_config_exits_2(tmp_path: Path, cli: CliRunner) -> None:
    result = cli("--config", str(tmp_path / "absent.toml"), "check")
    assert result.status == 2
    assert "absent.toml does not exist" in result.err


def test_the_hearth_command_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[instance]\nregistration = 'sometimes'\n", "bad.toml")
    result = subprocess.run(
        [hearth_command(), "--config", str(path), "check"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("hearth: config error: instance.registration: must be one of")
    assert "Traceback" not in result.stderr


def test_hearth_config_variable_names_the_file(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[federation]\nmode = 'friends'\n", "env.toml")
    monkeypatch.setenv("HEARTH_CONFIG", str(path))
    result = cli("check")
    assert result.status == 2
    assert "federation.mode" in result.err
    assert "env.toml" in result.err
