"""The TLS context of outgoing requests: verifying, built once and shared.

Building one loads the whole CA bundle (about 35 ms of CPU); an ``ssl.SSLContext`` is safe
to share between clients and connections, so each process builds one per CA setting
(``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, as httpx reads them) instead of one per client.
"""

from __future__ import annotations

import os
import ssl
from functools import lru_cache

import httpx


def verifying_context() -> ssl.SSLContext:
    """The shared context that verifies servers against the trusted CAs."""
    return _context_for(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))


@lru_cache(maxsize=4)
def _context_for(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    """One context per CA setting (the arguments are the cache key: httpx reads the
    environment itself)."""
    return httpx.create_ssl_context()
