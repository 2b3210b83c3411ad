"""The simulated instances of bench/first_contact.py, and an independent signature check.

A child process listens on M ports of 127.0.0.1 over TLS (one uvicorn server, each port a
separate instance to Hearth). Each port serves actor documents (``GET /users/<name>``, all
actors sharing one key pair) and inboxes: ``POST /users/<name>/inbox`` records Hearth's
Accepts (when each arrived, how often each Follow was accepted, and — for one in
``sample`` — whether its draft-cavage signature verifies, checked here with plain
``cryptography`` against the key in Hearth's actor document, not with Hearth's code);
``POST /users/<name>/floor-inbox`` counts the bare loop's Accepts. ``GET /stats`` reports.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hashlib
import ipaddress
import json
import re
import socket
import ssl
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

AS_TYPE = "application/activity+json"
_PARAM = re.compile(r'(\w+)="([^"]*)"')


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed CA certificate for 127.0.0.1 and its key (PEM files in ``directory``):
    every server of the run uses it, every client trusts it."""
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
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.write_bytes(private)
    return cert_path, key_path


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM (what actor documents carry)."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


def signature_key_id(headers: dict[str, str]) -> str:
    """The keyId of a draft-cavage ``Signature`` header ('' if there is none)."""
    return dict(_PARAM.findall(headers.get("signature", ""))).get("keyId", "")


def verify_cavage(
    method: str, path: str, headers: dict[str, str], body: bytes, key: rsa.RSAPublicKey
) -> str:
    """Check a draft-cavage signature (RSASSA-PKCS1-v1_5, SHA-256) and the body's Digest;
    '' when valid, else the reason. ``headers`` has lower-case names."""
    params = dict(_PARAM.findall(headers.get("signature", "")))
    if params.get("algorithm", "rsa-sha256") not in ("rsa-sha256", "hs2019"):
        return f"algorithm {params.get('algorithm')}"
    signed = params.get("headers", "date").split()
    if body and "digest" not in signed:
        return "the digest is not signed"
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if body and headers.get("digest") != digest:
        return "wrong digest"
    lines = []
    for name in signed:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            return f"signed header {name} missing"
    try:
        signature = base64.b64decode(params.get("signature", ""))
        key.verify(signature, "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return "bad signature"
    return ""


class Peers:
    """The ASGI app behind every port."""

    def __init__(self, public_pem: str, sample: int, ca_file: str) -> None:
        self.public_pem = public_pem
        self.sample = sample
        self.ca_file = ca_file
        self.accepts: Counter[str] = Counter()
        self.arrived = 0
        self.times: list[float] = []
        self.floor = 0
        self.verified = 0
        self.failures: list[str] = []
        self.keys: dict[str, rsa.RSAPublicKey] = {}
        self.http: httpx.AsyncClient | None = None

    def stats(self) -> dict[str, Any]:
        return {
            "accepts": sum(self.accepts.values()),
            "follows_accepted": len(self.accepts),
            "duplicates": sum(n - 1 for n in self.accepts.values()),
            "first": min(self.times, default=0.0),
            "last": max(self.times, default=0.0),
            "verified": self.verified,
            "failures": self.failures[:20],
            "floor": self.floor,
        }

    def actor(self, host: str, name: str) -> dict[str, Any]:
        uri = f"https://{host}/users/{name}"
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": name,
            "inbox": f"{uri}/inbox",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.public_pem},
        }

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path, status, answer = scope["path"], 202, b""
        parts = path.strip("/").split("/")
        if scope["method"] == "GET" and path == "/stats":
            status, answer = 200, json.dumps(self.stats()).encode()
        elif scope["method"] == "GET" and len(parts) == 2 and parts[0] == "users":
            status, answer = 200, json.dumps(self.actor(headers["host"], parts[1])).encode()
        elif scope["method"] == "POST" and path.endswith("/floor-inbox"):
            self.floor += 1
        elif scope["method"] == "POST" and path.endswith("/inbox"):
            status = await self.accepted(path, headers, body)
        else:
            status = 404
        fields = [(b"content-type", AS_TYPE.encode()), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": status, "headers": fields})
        await send({"type": "http.response.body", "body": answer})

    async def accepted(self, path: str, headers: dict[str, str], body: bytes) -> int:
        activity = json.loads(body)
        if activity.get("type") != "Accept":
            return 202
        follow = activity.get("object")
        follow_id = follow.get("id") if isinstance(follow, dict) else follow
        arrived, self.arrived = time.time(), self.arrived + 1
        status = 202
        if (self.arrived - 1) % self.sample == 0:
            # Verified before the Accept is counted: whoever reads the stats once every Accept
            # arrived also sees every sampled verification (the key fetch is awaited).
            key = await self.key(signature_key_id(headers))
            reason = verify_cavage("POST", path, headers, body, key) if key else "no key"
            if reason:
                self.failures.append(f"{path}: {reason}")
                status = 401
            else:
                self.verified += 1
        self.accepts[str(follow_id)] += 1
        self.times.append(arrived)
        return status

    async def key(self, key_id: str) -> rsa.RSAPublicKey | None:
        """Hearth's public key, read from its actor document (once per key id)."""
        if key_id and key_id not in self.keys:
            if self.http is None:
                trust = ssl.create_default_context(cafile=self.ca_file)
                self.http = httpx.AsyncClient(verify=trust)
            document = (
                await self.http.get(key_id.split("#")[0], headers={"accept": AS_TYPE})
            ).json()
            self.keys[key_id] = load_public_key(document["publicKey"]["publicKeyPem"])
        return self.keys.get(key_id)


async def serve_peers(args: Any) -> None:
    """The child process: ``args.instances`` TLS ports; prints them as JSON."""
    sockets = [socket.create_server(("127.0.0.1", 0), backlog=2048) for _ in range(args.instances)]
    public_pem = Path(args.peer_key).read_text()  # noqa: ASYNC240 (once, before serving)
    app = Peers(public_pem, args.sample, args.cert)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        ssl_certfile=args.cert,
        ssl_keyfile=args.cert_key,
        timeout_keep_alive=60,
    )
    print(json.dumps([sock.getsockname()[1] for sock in sockets]), flush=True)
    with contextlib.suppress(TimeoutError):  # never outlive the bench
        async with asyncio.timeout(args.time_limit + 60):
            await uvicorn.Server(config).serve(sockets=sockets)
