"""Keys: generation, PEM loading (and refusing garbage), and the signature primitives."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from federation.keys import (
    SIGNATURE_ALGORITHMS,
    KeyFormatError,
    KeyPair,
    SignatureAlgorithm,
    algorithm_fits_key,
    coerce_private_key,
    generate_ed25519_keypair,
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
    parse_algorithm,
    public_pem_of,
    sign_bytes,
    verify_bytes,
)
from tests.federation.vectors import (
    CAVAGE_PRIVATE_PEM,
    CAVAGE_PUBLIC_PEM,
    CAVAGE_PUBLIC_PKCS1_PEM,
    ED25519_PRIVATE_PEM,
    ED25519_PUBLIC_PEM,
)


@pytest.fixture(scope="module")
def rsa_pair() -> KeyPair:
    return generate_rsa_keypair()


def test_generated_rsa_pair_is_2048_bit_pkcs8_and_spki(rsa_pair: KeyPair) -> None:
    assert rsa_pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert rsa_pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    private = load_private_key(rsa_pair.private_pem)
    public = load_public_key(rsa_pair.public_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert isinstance(public, rsa.RSAPublicKey)
    assert private.key_size == 2048
    assert public.public_numbers() == private.public_key().public_numbers()


def test_keypair_repr_hides_the_private_key(rsa_pair: KeyPair) -> None:
    body = rsa_pair.private_pem.splitlines()[1]
    for text in (repr(rsa_pair), str(rsa_pair), f"{rsa_pair!r}"):
        assert "PRIVATE KEY" not in text
        assert body not in text
        assert "<hidden>" in text


def test_generated_ed25519_pair_round_trips() -> None:
    pair = generate_ed25519_keypair()
    assert isinstance(load_private_key(pair.private_pem), ed25519.Ed25519PrivateKey)
    assert isinstance(load_public_key(pair.public_pem), ed25519.Ed25519PublicKey)


def test_pkcs1_and_spki_forms_of_one_public_key_load_alike() -> None:
    spki = load_public_key(CAVAGE_PUBLIC_PEM)
    pkcs1 = load_public_key(CAVAGE_PUBLIC_PKCS1_PEM)
    assert isinstance(spki, rsa.RSAPublicKey)
    assert isinstance(pkcs1, rsa.RSAPublicKey)
    assert spki.public_numbers() == pkcs1.public_numbers()


def test_pkcs1_private_key_and_bytes_input_are_accepted() -> None:
    private = load_private_key(CAVAGE_PRIVATE_PEM.encode())
    assert public_pem_of(private) == CAVAGE_PUBLIC_PEM


def test_rfc9421_ed25519_test_keys_belong_together() -> None:
    private = load_private_key(ED25519_PRIVATE_PEM)
    assert public_pem_of(private) == ED25519_PUBLIC_PEM
    assert public_pem_of(load_public_key(ED25519_PUBLIC_PEM)) == ED25519_PUBLIC_PEM


def test_surrounding_whitespace_is_tolerated() -> None:
    assert isinstance(load_public_key(f"\n  {CAVAGE_PUBLIC_PEM}\n\n"), rsa.RSAPublicKey)


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "hello",
        "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----",
        CAVAGE_PUBLIC_PEM[:120],
        CAVAGE_PRIVATE_PEM,
        "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEB\n-----END PUBLIC KEY-----",
        "clé publique",
    ],
)
def test_garbage_public_keys_raise_key_format_error(pem: str) -> None:
    with pytest.raises(KeyFormatError):
        load_public_key(pem)


def test_unsupported_and_weak_keys_are_refused() -> None:
    ec_pem = public_pem_of_any(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(KeyFormatError, match="unsupported"):
        load_public_key(ec_pem)
    weak = rsa.RSAPublicNumbers(65537, (1 << 511) | 0x1234567).public_key()  # 512 bits
    with pytest.raises(KeyFormatError, match="too small"):
        load_public_key(public_pem_of_any(weak))


def public_pem_of_any(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def test_encrypted_private_key_is_refused_without_echoing_it(rsa_pair: KeyPair) -> None:
    key = load_private_key(rsa_pair.private_pem)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()
    with pytest.raises(KeyFormatError) as info:
        load_private_key(encrypted)
    assert encrypted.splitlines()[1] not in str(info.value)
    with pytest.raises(KeyFormatError):
        load_private_key(rsa_pair.public_pem)


def test_coerce_private_key_accepts_pem_or_key(rsa_pair: KeyPair) -> None:
    key = load_private_key(rsa_pair.private_pem)
    assert coerce_private_key(key) is key
    assert public_pem_of(coerce_private_key(rsa_pair.private_pem)) == rsa_pair.public_pem


@pytest.mark.parametrize("algorithm", SIGNATURE_ALGORITHMS)
def test_sign_and_verify_round_trip(rsa_pair: KeyPair, algorithm: SignatureAlgorithm) -> None:
    pem = ED25519_PRIVATE_PEM if algorithm == "ed25519" else rsa_pair.private_pem
    private = load_private_key(pem)
    public = private.public_key()
    signature = sign_bytes(private, b"signing string", algorithm)
    assert verify_bytes(public, b"signing string", signature, algorithm)
    assert not verify_bytes(public, b"signing strinG", signature, algorithm)
    assert not verify_bytes(public, b"signing string", signature[:-1] + b"\0", algorithm)


def test_rsa_pss_sha512_matches_an_independent_verifier(rsa_pair: KeyPair) -> None:
    private = load_private_key(rsa_pair.private_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    signature = sign_bytes(private, b"data", "rsa-pss-sha512")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    private.public_key().verify(signature, b"data", pss, hashes.SHA512())


def test_key_and_algorithm_must_fit(rsa_pair: KeyPair) -> None:
    rsa_key = load_private_key(rsa_pair.private_pem)
    ed_key = load_private_key(ED25519_PRIVATE_PEM)
    assert algorithm_fits_key("rsa-v1_5-sha256", rsa_key)
    assert not algorithm_fits_key("ed25519", rsa_key)
    assert not algorithm_fits_key("rsa-pss-sha512", ed_key)
    with pytest.raises(ValueError, match="does not fit"):
        sign_bytes(ed_key, b"x", "rsa-v1_5-sha256")
    ed_signature = sign_bytes(ed_key, b"x")
    assert not verify_bytes(rsa_key.public_key(), b"x", ed_signature, "ed25519")


def test_parse_algorithm_knows_only_what_we_implement() -> None:
    assert parse_algorithm("ed25519") == "ed25519"
    assert parse_algorithm("hmac-sha256") is None
    assert parse_algorithm("RSA-V1_5-SHA256") is None
