"""Moved to :mod:`server.uris` (every layer may import it); this alias goes once the
branches in flight have rebased."""

from server.uris import LocalUris, host_of

__all__ = ["LocalUris", "host_of"]
