"""Settings: a TOML file, overridden by ``HEARTH_<SECTION>_<KEY>`` environment variables.

Every key, its type and its default live in the dataclasses below; ``config.example.toml``
documents the same keys (a test keeps the two in step). Any problem raises
:class:`ConfigError` naming the key, so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from server.inputs import is_iana_zone, whole_number

REGISTRATION_MODES = ("open", "approval", "invite", "closed")
FEDERATION_MODES = ("open", "blocklist", "allowlist")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
_DOMAIN_RE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::[0-9]{1,5})?$"
)


class ConfigError(Exception):
    """A configuration problem, tied to the key (``section.key``) that causes it."""

    def __init__(self, key: str, problem: str, source: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f" (in {source})" if source else ""
        super().__init__(f"{key}: {problem}{where}")


@dataclass(frozen=True)
class InstanceConfig:
    domain: str = "localhost:8000"
    scheme: str = "http"
    name: str = "Hearth"
    description: str = "Groups and meetups for our neighborhood."
    contact_email: str = ""
    registration: str = "open"
    timezone: str = "UTC"
    #: The language of the instance (a BCP 47 tag): pages for visitors whose browser asks
    #: for none Hearth has, what groups without a language federate, and of a remote post
    #: written in several (``contentMap``), the text shown first.
    language: str = "en"


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    data_dir: str = "data"
    run_worker: bool = True
    #: How long anonymous public reads (actors, pages, calendars) are served from memory;
    #: 0 turns the read cache off.
    read_cache_seconds: float = 5.0
    #: Addresses (or networks) of reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed; rate limits and key-fetch budgets count per
    #: client address, so only a proxy you run belongs here. ``*`` trusts everyone.
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""
    schema: str = ""


@dataclass(frozen=True)
class FederationConfig:
    mode: str = "open"
    blocked_domains: list[str] = field(default_factory=list)
    allowed_domains: list[str] = field(default_factory=list)
    authorized_fetch: bool = False
    allow_private_addresses: bool = False
    signature_window_seconds: int = 3600
    max_inbox_bytes: int = 1_000_000
    #: How long a worker holds a claimed delivery or inbox activity; after a crash, the
    #: work it held is picked up again once this has passed.
    lease_seconds: int = 120


@dataclass(frozen=True)
class RateLimitConfig:
    """Requests a minute (bursts up to the same number); 0 turns a limit off."""

    inbox_per_domain: int = 3000
    inbox_per_ip: int = 6000
    login_per_ip: int = 30
    api_per_client: int = 600


@dataclass(frozen=True)
class UploadsConfig:
    dir: str = ""
    max_bytes: int = 5_000_000


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    from_address: str = ""
    starttls: bool = True


@dataclass(frozen=True)
class CalendarImportsConfig:
    """Groups subscribed to external calendars (``server.services.calendar_import``)."""

    #: How often the worker reads each subscribed calendar, in minutes.
    poll_minutes: int = 60
    #: After failed reads the wait doubles each time, up to this many hours.
    max_backoff_hours: int = 24
    #: Largest calendar file read, in bytes, and the longest a read may take.
    max_bytes: int = 2_000_000
    timeout_seconds: float = 15.0


@dataclass(frozen=True)
class Settings:
    instance: InstanceConfig = field(default_factory=InstanceConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    federation: FederationConfig = field(default_factory=FederationConfig)
    uploads: UploadsConfig = field(default_factory=UploadsConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    calendar_imports: CalendarImportsConfig = field(default_factory=CalendarImportsConfig)

    @property
    def base_url(self) -> str:
        """The public origin, e.g. ``https://town.example``."""
        return f"{self.instance.scheme}://{self.instance.domain}"

    @property
    def data_path(self) -> Path:
        return Path(self.server.data_dir)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.data_path / 'hearth.db'}"

    @property
    def uploads_path(self) -> Path:
        return Path(self.uploads.dir) if self.uploads.dir else self.data_path / "uploads"

    @property
    def host_is_local(self) -> bool:
        return _hostname(self.instance.domain) in _LOCAL_HOSTS


def _hostname(domain: str) -> str:
    if domain.startswith("["):
        return domain.split("]")[0] + "]"
    return domain.rsplit(":", 1)[0] if ":" in domain else domain


def section_fields(settings_cls: type = Settings) -> dict[str, type]:
    """Map each section name to its dataclass."""
    hints = get_type_hints(settings_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(settings_cls)}


def _number(key: str, value: Any) -> float:
    """A finite number, not negative (from TOML, or text from the environment)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(key, f"must be a number, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, f"must be a number, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(key, f"must be a number of 0 or more, not {value!r}")
    return float(value)


def _coerce(key: str, value: Any, kind: Any) -> Any:
    """Check (or, for strings from the environment, convert) one value."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        }:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(key, f"must be true or false, not {value!r}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and (number := whole_number(value, -(2**63), 2**63)) is not None:
            return number
        raise ConfigError(key, f"must be a whole number, not {value!r}")
    if kind is float:
        return _number(key, value)
    if kind == list[str]:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise ConfigError(key, "must be a list of strings")
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, not {value!r}")
    return value


def _build_section(name: str, cls: type, raw: Mapping[str, Any], source: str | None) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{name}.{key}", "is not a known setting", source)
    values = {}
    for key, value in raw.items():
        try:
            values[key] = _coerce(f"{name}.{key}", value, hints[key])
        except ConfigError as exc:
            raise ConfigError(exc.key, exc.problem, source) from None
    return cls(**values)


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for section, cls in section_fields().items():
        for f in dataclasses.fields(cls):
            var = f"HEARTH_{section.upper()}_{f.name.upper()}"
            if var in env:
                overrides.setdefault(section, {})[f.name] = env[var]
    return overrides


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ConfigError naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("--config", f"file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"is not valid TOML: {exc}", str(path)) from None
    except OSError as exc:
        raise ConfigError("--config", f"cannot read {path}: {exc.strerror}") from None


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Load settings from an optional TOML file and the environment, then validate them."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = read_toml(path) if path else {}
    source = str(path) if path else None
    sections = section_fields()
    for name, value in raw.items():
        if name not in sections:
            raise ConfigError(name, "is not a known section", source)
        if not isinstance(value, dict):
            raise ConfigError(name, "must be a table ([section])", source)
    overrides = _env_overrides(env)
    built = {}
    try:
        for name, cls in sections.items():
            merged = {**raw.get(name, {}), **overrides.get(name, {})}
            built[name] = _build_section(name, cls, merged, source)
        settings = Settings(**built)
        validate(settings)
    except ConfigError as exc:
        raise ConfigError(exc.key, exc.problem, _source_of(exc.key, overrides, source)) from None
    return settings


def _source_of(
    key: str, overrides: Mapping[str, Mapping[str, str]], path: str | None
) -> str | None:
    """Where a key's value came from: its environment variable when set there, else the file."""
    section, _, name = key.partition(".")
    if name in overrides.get(section, {}):
        return f"environment variable HEARTH_{section.upper()}_{name.upper()}"
    return path


def validate(settings: Settings) -> None:
    """Check values that types alone cannot: modes, the domain, the scheme, paths."""
    inst = settings.instance
    if not _DOMAIN_RE.match(inst.domain) and inst.domain not in _LOCAL_HOSTS:
        raise ConfigError("instance.domain", f"{inst.domain!r} is not a lowercase host name")
    if inst.scheme not in ("http", "https"):
        raise ConfigError("instance.scheme", 'must be "https" (or "http" for localhost)')
    if inst.scheme == "http" and not settings.host_is_local:
        raise ConfigError(
            "instance.scheme",
            f'must be "https" for {inst.domain}: http is allowed only for localhost and 127.0.0.1',
        )
    _check_choice("instance.registration", inst.registration, REGISTRATION_MODES)
    _check_timezone(inst.timezone)
    _check_language(inst.language)
    _check_choice("federation.mode", settings.federation.mode, FEDERATION_MODES)
    if inst.contact_email and "@" not in inst.contact_email:
        raise ConfigError("instance.contact_email", "must be an email address")
    _check_port("server.port", settings.server.port)
    _check_port("smtp.port", settings.smtp.port)
    if bool(settings.server.ssl_certfile) != bool(settings.server.ssl_keyfile):
        raise ConfigError("server.ssl_keyfile", "ssl_certfile and ssl_keyfile must be set together")
    for key in ("ssl_certfile", "ssl_keyfile"):
        value = getattr(settings.server, key)
        if value and not Path(value).is_file():
            raise ConfigError(f"server.{key}", f"file {value} does not exist")
    _check_database_url(settings.database.url)
    if settings.database.schema and not re.fullmatch(
        r"[a-z_][a-z0-9_]{0,62}", settings.database.schema
    ):
        raise ConfigError("database.schema", "must be a lowercase SQL identifier")
    for key in ("max_bytes",):
        if getattr(settings.uploads, key) < 1024:
            raise ConfigError(f"uploads.{key}", "must be at least 1024")
    imports = settings.calendar_imports
    if imports.poll_minutes < 1 or imports.max_backoff_hours < 1 or imports.timeout_seconds <= 0:
        raise ConfigError(
            "calendar_imports.poll_minutes", "intervals and timeouts must be positive"
        )
    if imports.max_bytes < 1024:
        raise ConfigError("calendar_imports.max_bytes", "must be at least 1024")
    if settings.federation.max_inbox_bytes < 1024:
        raise ConfigError("federation.max_inbox_bytes", "must be at least 1024")
    for proxy in settings.server.trusted_proxies:
        if proxy != "*":
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(
                    "server.trusted_proxies", f"{proxy!r} is not an IP address or network"
                ) from None
    if settings.federation.lease_seconds < 1:
        raise ConfigError("federation.lease_seconds", "must be at least 1")
    if settings.federation.signature_window_seconds < 30:
        raise ConfigError("federation.signature_window_seconds", "must be at least 30")
    for key in ("blocked_domains", "allowed_domains"):
        for domain in getattr(settings.federation, key):
            if not _DOMAIN_RE.match(domain.lower()):
                raise ConfigError(f"federation.{key}", f"{domain!r} is not a domain name")


def _check_choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(key, f"must be one of {', '.join(choices)}; got {value!r}")


def _check_timezone(name: str) -> None:
    try:
        if not is_iana_zone(name):
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "instance.timezone", f"{name!r} is not an IANA time zone such as Europe/Paris"
        ) from None


def _check_language(tag: str) -> None:
    try:
        Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        raise ConfigError(
            "instance.language", f"{tag!r} is not a language tag such as en, fr or de-AT"
        ) from None


def _check_port(key: str, port: int) -> None:
    if not 0 < port < 65536:
        raise ConfigError(key, f"must be between 1 and 65535; got {port}")


def _check_database_url(url: str) -> None:
    if not url:
        return
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "database.url",
            "must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
        )
