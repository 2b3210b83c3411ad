"""TLS both ways: ``hearth serve --ssl-certfile/--ssl-keyfile`` serves https, and outgoing
requests verify certificates against ``SSL_CERT_FILE`` (here a test CA, on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import ssl
import sys
from pathlib import Path

import httpx
import pytest

from server.app import default_http_client
from server.config import load_settings
from tests.servers import clean_env, free_port, run_hearth, serve

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from first_contact_peers import make_certificate  # the benchmark's test CA


async def test_serve_over_tls_and_verify_with_ssl_cert_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = make_certificate(tmp_path)
    port = free_port()
    env = clean_env(
        HEARTH_INSTANCE_DOMAIN=f"127.0.0.1:{port}",
        HEARTH_SERVER_SSL_CERTFILE=str(cert),
        HEARTH_SERVER_SSL_KEYFILE=str(key),
        SSL_CERT_FILE=str(cert),
    )
    run_hearth(tmp_path, env, "migrate")
    settings = load_settings(None, env={})
    settings = dataclasses.replace(
        settings, federation=dataclasses.replace(settings.federation, allow_private_addresses=True)
    )
    url = f"https://127.0.0.1:{port}/.well-known/nodeinfo"
    with serve(tmp_path, env, port, scheme="https", verify=ssl.create_default_context(cafile=cert)):
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        trusting = default_http_client(settings)
        async with trusting:
            response = await trusting.get(url)
        assert response.status_code == 200
        monkeypatch.delenv("SSL_CERT_FILE")
        distrusting = default_http_client(settings)
        async with distrusting:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await distrusting.get(url)
