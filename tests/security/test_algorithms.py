"""Algorithm confusion: only RSASSA-PKCS1-v1_5/SHA-256 under the names ``rsa-sha256`` and
``hs2019`` (and the key's own algorithm in RFC 9421) verify. An HMAC keyed with the public
PEM, SHA-1, or a label naming another algorithm is a 401 that stores and sends nothing."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from tests.federation_net import FederationNet
from tests.flows.peer import AS_TYPE, PeerActor, public_pem
from tests.security.conftest import Target
from tests.security.harness import Watch
from tests.security.signing import (
    SignFunction,
    cavage_headers,
    hmac_with_public_key,
    rsa_pss,
    rsa_with,
)

CONFUSED: dict[str, tuple[str, object]] = {
    "hmac-sha256 keyed with the public key": ("hmac-sha256", hmac_with_public_key),
    "hs2019 label on an hmac": ("hs2019", hmac_with_public_key),
    "rsa-sha256 label on an hmac": ("rsa-sha256", hmac_with_public_key),
    "rsa-sha1": ("rsa-sha1", lambda a: rsa_with(a, hashes.SHA1())),  # noqa: S303
    "rsa-sha256 label on sha1": ("rsa-sha256", lambda a: rsa_with(a, hashes.SHA1())),  # noqa: S303
    "rsa-sha512": ("rsa-sha512", lambda a: rsa_with(a, hashes.SHA512())),
    "hs2019 label on sha512": ("hs2019", lambda a: rsa_with(a, hashes.SHA512())),
    "hs2019 label on rsa-pss": ("hs2019", rsa_pss),
    "ecdsa-sha256 label": ("ecdsa-sha256", lambda a: rsa_with(a, hashes.SHA256())),
    "none": ("none", lambda a: lambda data: b""),
    "empty label": ("", lambda a: rsa_with(a, hashes.SHA256())),
}


@pytest.mark.parametrize("case", list(CONFUSED))
async def test_confused_cavage_algorithms_are_refused(
    net: FederationNet, target: Target, case: str
) -> None:
    algorithm, make = CONFUSED[case]
    sign: SignFunction = make(target.bob)  # type: ignore[operator]
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    headers = cavage_headers(target.bob, target.inbox, body, sign, algorithm=algorithm)
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    await watch.assert_untouched(response, 401, fetches=1)


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "hs2019", "RSA-SHA256"])
async def test_the_accepted_names_verify(
    net: FederationNet, target: Target, algorithm: str
) -> None:
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    sign = rsa_with(target.bob, hashes.SHA256())
    headers = cavage_headers(target.bob, target.inbox, body, sign, algorithm=algorithm)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    assert response.status_code == 202, response.text


def _rfc9421_request(bob: PeerActor, url: str, algorithm: object, key: object) -> httpx.Request:
    body = json.dumps(bob.activity("Follow", url.removesuffix("/inbox"))).encode()
    request = httpx.Request("POST", url, content=body, headers={"Content-Type": AS_TYPE})
    resolver = MappingKeyResolver(public_keys={}, private_keys={bob.key_id: key})
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver)  # type: ignore[arg-type]
    signer.sign(request, key_id=bob.key_id, label="sig1", body=body)  # type: ignore[arg-type]
    return request


async def test_rfc9421_hmac_keyed_with_the_public_key_is_refused(
    net: FederationNet, target: Target
) -> None:
    secret = public_pem(target.bob.key).encode()
    request = _rfc9421_request(target.bob, target.inbox, algorithms.HMAC_SHA256, secret)
    watch = await Watch.start(net, target.b)
    response = await net.http.send(request)
    await watch.assert_untouched(response, 401, fetches=1)


@pytest.mark.parametrize(
    "algorithm", [algorithms.RSA_V1_5_SHA256, algorithms.RSA_PSS_SHA512], ids=["pkcs1", "pss"]
)
async def test_rfc9421_signatures_made_with_the_actors_own_rsa_key_verify(
    net: FederationNet, target: Target, algorithm: object
) -> None:
    """Both need the private key: naming PSS or PKCS#1 v1.5 is no confusion."""
    request = _rfc9421_request(target.bob, target.inbox, algorithm, target.bob.key)
    assert (await net.http.send(request)).status_code == 202
