"""Federation policy for a remote domain: open, blocklist or allowlist (from the config)."""

from __future__ import annotations

from server.config import Settings


def domain_matches(host: str, domains: list[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one."""
    host = host.lower().split(":")[0] if not host.startswith("[") else host.lower()
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


def is_domain_allowed(settings: Settings, host: str) -> bool:
    """Whether we exchange activities with ``host`` (subdomains follow their parent)."""
    federation = settings.federation
    if domain_matches(host, federation.blocked_domains):
        return False
    if federation.mode == "allowlist":
        return domain_matches(host, federation.allowed_domains)
    return True
