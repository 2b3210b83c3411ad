"""TLS both ways: ``hearth serve --ssl-certfile/--ssl-keyfile`` serves https, and outgoing
requests verify certificates against ``SSL_CERT_FILE`` (here a test CA, on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.app import default_http_client
from server.config import load_settings
from tests.servers import clean_env, free_port, run_hearth, serve


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_serve_over_tls_and_verify_with_ssl_cert_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path)
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
