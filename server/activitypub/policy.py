"""Federation policy for a remote domain: open, blocklist or allowlist (from the config)."""

from __future__ import annotations

from server.config import Settings


def _matches(host: str, domains: list[str]) -> bool:
    host = host.lower().split(":")[0] if not host.startswith("[") else host.lower()
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


def is_domain_allowed(settings: Settings, host: str) -> bool:
    """Whether we exchange activities with ``host`` (subdomains follow their parent)."""
    federation = settings.federation
    if _matches(host, federation.blocked_domains):
        return False
    if federation.mode == "allowlist":
        return _matches(host, federation.allowed_domains)
    return True
