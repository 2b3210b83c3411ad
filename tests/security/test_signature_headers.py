"""Signature headers: a POST must sign the request target, the host, a date and the body's
digest, and every digest sent must match the bytes received; unsigned, half-signed and
malformed requests are a 401 (never a 500, never a 202 followed by a silent drop) that
stores nothing, sends nothing and fetches no key."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes

from tests.federation_net import FederationNet
from tests.flows.peer import sign_cavage
from tests.security.conftest import Target
from tests.security.harness import Watch
from tests.security.signing import cavage_headers, rsa_with

MISSING = {
    "request-target": ("host", "date", "digest"),
    "host": ("(request-target)", "date", "digest"),
    "date": ("(request-target)", "host", "digest"),
    "digest": ("(request-target)", "host", "date"),
    "all but the date": ("date",),
}


@pytest.mark.parametrize("missing", list(MISSING))
async def test_required_headers_must_be_signed(
    net: FederationNet, target: Target, missing: str
) -> None:
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    headers = sign_cavage(
        target.bob.key, target.bob.key_id, "POST", target.inbox, body, signed=MISSING[missing]
    )
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    await watch.assert_untouched(response, 401)


def _sha512(body: bytes) -> str:
    return "SHA-512=" + base64.b64encode(hashlib.sha512(body).digest()).decode()


DIGESTS = {
    "sha-256 of other bytes": lambda body: "SHA-256=" + base64.b64encode(b"x" * 32).decode(),
    "sha-512 of other bytes": lambda body: _sha512(body + b" "),
    "unknown algorithm": lambda body: (
        "MD5=" + base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324
    ),
    "not base64": lambda body: "SHA-256=!!!",
    "empty": lambda body: "",
}


@pytest.mark.parametrize("digest", list(DIGESTS))
async def test_a_signed_digest_that_does_not_match_the_body_is_refused(
    net: FederationNet, target: Target, digest: str
) -> None:
    """The signature is valid over the Digest header sent; the Digest is not the body's."""
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    resigned = _resign(target, body, {"digest": DIGESTS[digest](body)})
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=resigned)
    await watch.assert_untouched(response, 401)


def _resign(target: Target, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """Sign again, this time over the (forged) Digest header in ``headers``."""
    bob, digest = target.bob, headers["digest"]
    sign = rsa_with(bob, hashes.SHA256())
    signed = cavage_headers(bob, target.inbox, body, sign, algorithm="rsa-sha256", digest=digest)
    assert signed["digest"] == digest
    return signed


async def test_a_wrong_content_digest_next_to_a_right_digest_is_refused(
    net: FederationNet, target: Target
) -> None:
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    headers = sign_cavage(target.bob.key, target.bob.key_id, "POST", target.inbox, body)
    headers["content-digest"] = "sha-256=:" + base64.b64encode(b"y" * 32).decode() + ":"
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    await watch.assert_untouched(response, 401)


SIGNED = 'headers="(request-target) host date digest"'
MALFORMED = {
    "no signature": None,
    "empty": "",
    "garbage": "garbage",
    "no keyId": f'algorithm="rsa-sha256",{SIGNED},signature="AA=="',
    "no signature param": f'keyId="{{key}}",{SIGNED}',
    "signature not base64": f'keyId="{{key}}",{SIGNED},signature="%%%"',
    "empty headers list": 'keyId="{key}",headers="",signature="AA=="',
    "unterminated quote": 'keyId="{key},signature="AA==',
    "keyId not a URL": f'keyId="javascript:alert(1)",{SIGNED},signature="AA=="',
    "duplicated params": (
        f'keyId="{{key}}",keyId="https://evil.test/k",headers="date",{SIGNED},signature="AA=="'
    ),
    "huge": 'keyId="{key}",signature="' + "A" * 200_000 + '"',
    "unicode": f'keyId="{{key}}",{SIGNED},signature="ÀÀ"',
    "authorization scheme without params": "Signature",
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_signature_headers_are_a_401(
    net: FederationNet, target: Target, case: str
) -> None:
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    headers = sign_cavage(target.bob.key, target.bob.key_id, "POST", target.inbox, body)
    value = MALFORMED[case]
    del headers["signature"]
    if value is not None:
        name = "authorization" if case.startswith("authorization") else "signature"
        headers[name] = value.replace("{key}", target.bob.key_id)
    watch = await Watch.start(net, target.b)
    raw = {name: value.encode() for name, value in headers.items()}
    response = await net.http.post(target.inbox, content=body, headers=raw)
    await watch.assert_untouched(response, 401)


RFC9421_MALFORMED = {
    "input without signature": ({"signature-input": 'sig1=("@method");keyid="k"'}, False),
    "signature without input label": (
        {"signature-input": 'sig1=("@method");keyid="k"', "signature": "sig2=:AA==:"},
        True,
    ),
    "not a dictionary": ({"signature-input": "((((", "signature": "sig1=:AA==:"}, True),
    "no components": (
        {"signature-input": 'sig1=();keyid="{key}";created=1', "signature": "sig1=:AA==:"},
        True,
    ),
}


@pytest.mark.parametrize("case", list(RFC9421_MALFORMED))
async def test_malformed_rfc9421_headers_are_a_401(
    net: FederationNet, target: Target, case: str
) -> None:
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    headers = sign_cavage(target.bob.key, target.bob.key_id, "POST", target.inbox, body)
    del headers["signature"]
    extra, _ = RFC9421_MALFORMED[case]
    headers |= {k: v.replace("{key}", target.bob.key_id) for k, v in extra.items()}
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    await watch.assert_untouched(response, 401)
