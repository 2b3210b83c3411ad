"""verify_request, continued: key rotation, and malformed input that must never raise."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.keys import KeyPair
from federation.verify import (
    ActorKey,
    Rejected,
    Scheme,
    Verified,
    verify_request,
)
from tests.federation.test_verify import (
    ACTIVITY,
    INBOX,
    KEY_ID,
    NOW,
    SCHEMES,
    Resolver,
    assert_rejected,
    base_headers,
    sign,
    verify,
)  # fmt: skip
from tests.federation.vectors import (
    ED25519_PUBLIC_PEM,
)

# --- keys ------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", SCHEMES)
async def test_rotated_key_is_refetched_once(
    pair: KeyPair, other_pair: KeyPair, scheme: Scheme
) -> None:
    resolver = Resolver({KEY_ID: other_pair.public_pem}, fresh={KEY_ID: pair.public_pem})
    result = await verify(sign(pair, scheme), resolver)
    assert isinstance(result, Verified)
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.asyncio
async def test_unknown_key_is_fetched_then_accepted(pair: KeyPair) -> None:
    resolver = Resolver({}, fresh={KEY_ID: pair.public_pem})
    assert isinstance(await verify(sign(pair), resolver), Verified)
    assert len(resolver.calls) == 2


@pytest.mark.asyncio
async def test_no_key_at_all(pair: KeyPair) -> None:
    resolver = Resolver({})
    assert_rejected(await verify(sign(pair), resolver), f"no public key found for {KEY_ID}")
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.asyncio
async def test_wrong_key_both_times(pair: KeyPair, other_pair: KeyPair) -> None:
    resolver = Resolver({KEY_ID: other_pair.public_pem})
    assert_rejected(await verify(sign(pair), resolver), "signature does not verify with the key")
    assert len(resolver.calls) == 2


@pytest.mark.asyncio
async def test_unusable_key_or_failing_resolver(pair: KeyPair) -> None:
    assert_rejected(await verify(sign(pair), Resolver({KEY_ID: "garbage"})), "is unusable")

    async def failing(key_id: str, *, refresh: bool) -> ActorKey | None:
        raise httpx.ConnectError("down")

    result = await verify_request("POST", INBOX, sign(pair), ACTIVITY, failing, now=NOW)
    assert_rejected(result, "could not be fetched (ConnectError)")


# --- malformed input never raises ------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "request is not signed"),
        ({"Authorization": "Bearer abc"}, "request is not signed"),
        ({"Signature": ""}, "no keyId"),
        ({"Signature": 'keyId="k"'}, "no signature"),
        ({"Signature": 'keyId="k",signature="AAAA",,'}, "malformed"),
        ({"Signature": 'keyId="k,signature="AAAA"'}, "malformed"),
        ({"Signature": 'keyId="k",signature="%%%"'}, "not base64"),
        (
            {"Signature": 'keyId="k",signature="AAAA",headers="(request-target) host date"'},
            "'date' is missing",
        ),
        ({"Signature-Input": 'sig1=("@method")'}, "without a Signature header"),
        ({"Signature-Input": "sig1=(", "Signature": "sig1=:AAAA:"}, "malformed"),
        (
            {"Signature-Input": 'sig1=("@method");keyid="k"', "Signature": "sig2=:AAAA:"},
            "no byte sequence",
        ),
    ],
)
async def test_malformed_signatures_are_rejected(headers: dict[str, str], reason: str) -> None:
    resolver = Resolver({})
    assert_rejected(await verify({"Host": "b.test", **headers}, resolver, "GET", body=b""), reason)


@pytest.mark.asyncio
async def test_unreadable_input_is_rejected(pair: KeyPair) -> None:
    assert_rejected(await verify(None, Resolver({})), "request headers could not be read")  # type: ignore[arg-type]
    assert_rejected(await verify(sign(pair), Resolver({}), url="/inbox"), "not an absolute URL")


_HEADER_NAMES = st.sampled_from(
    [
        "Signature",
        "Signature-Input",
        "Authorization",
        "Date",
        "Host",
        "Digest",
        "Content-Digest",
        "X-Other",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(_HEADER_NAMES, st.text(max_size=120), max_size=6),
    st.sampled_from(["GET", "POST", "get", "DELETE"]),
    st.binary(max_size=64),
)
def test_garbage_never_raises(headers: dict[str, str], method: str, body: bytes) -> None:
    resolver = Resolver({KEY_ID: ED25519_PUBLIC_PEM, "k": ED25519_PUBLIC_PEM})
    result = asyncio.run(verify_request(method, INBOX, headers, body, resolver, now=NOW))
    assert isinstance(result, Rejected)
    assert result.reason


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_garbage_signature_parameters_never_raise(suffix: str) -> None:
    headers = {**base_headers(), "Signature": f'keyId="{KEY_ID}",signature="AAAA",{suffix}'}
    result = asyncio.run(verify_request("POST", INBOX, headers, ACTIVITY, Resolver({}), now=NOW))
    assert isinstance(result, Rejected)


@pytest.mark.asyncio
async def test_an_unusable_rfc9421_label_does_not_spoil_a_good_one(pair: KeyPair) -> None:
    good = sign(pair, "rfc9421")
    headers = {
        **good,
        "Signature-Input": f'old=("@status");keyid="{KEY_ID}", {good["Signature-Input"]}',
        "Signature": f"old=:AAAA:, {good['Signature']}",
    }
    assert isinstance(await verify(headers, Resolver({KEY_ID: pair.public_pem})), Verified)
    del headers["Content-Digest"]
    result = await verify(headers, Resolver({KEY_ID: pair.public_pem}))
    assert_rejected(result, "derived component @status is not supported")
