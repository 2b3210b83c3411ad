"""Outgoing TLS: every client of a process shares one verifying context per CA setting
(building one loads the whole CA bundle), and a changed ``SSL_CERT_FILE`` is honoured."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from federation.aiohttp_poster import AiohttpPoster
from federation.aiohttp_transport import AiohttpTransport
from federation.tls import verifying_context
from tests.federation.test_aiohttp_transport import certificate_authority


def test_clients_share_one_verifying_context() -> None:
    poster = AiohttpPoster(user_agent="Hearth test")
    transport = AiohttpTransport()
    assert poster.ssl_context is transport.ssl_context is verifying_context()
    assert poster.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert poster.ssl_context.check_hostname


def test_a_ca_file_named_by_ssl_cert_file_gets_its_own_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate_authority(tmp_path)  # writes leaf.pem, one certificate
    default = verifying_context()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "leaf.pem"))
    custom = verifying_context()
    assert custom is not default
    assert custom.cert_store_stats()["x509"] == 1  # only what the file holds is trusted
    assert default.cert_store_stats()["x509"] > 1
