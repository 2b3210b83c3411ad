"""Actor key pairs: generating, loading from PEM, and the signature primitives over them.

Actors publish RSA keys (every peer reads those) and, more and more, Ed25519 keys
(FEP-521a). Both signature schemes in this package sign bytes with one of three algorithms,
named as RFC 9421 names them; :func:`sign_bytes` and :func:`verify_bytes` are the only
places that touch the primitives. Private keys never appear in ``repr``, logs or errors.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
SignatureAlgorithm = Literal["rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"]

#: Algorithms by their RFC 9421 names; draft-cavage names map onto these.
SIGNATURE_ALGORITHMS: tuple[SignatureAlgorithm, ...] = (
    "rsa-v1_5-sha256",
    "rsa-pss-sha512",
    "ed25519",
)
#: Smallest RSA modulus we accept from peers (the draft-cavage test key has 1024 bits).
MIN_RSA_BITS = 1024
RSA_BITS = 2048

_RsaKey = TypeVar("_RsaKey", rsa.RSAPrivateKey, rsa.RSAPublicKey)


class KeyFormatError(ValueError):
    """A PEM text is not a usable RSA or Ed25519 key."""


@dataclass(frozen=True)
class KeyPair:
    """A private key (PKCS#8 PEM) and its public half (SubjectPublicKeyInfo PEM)."""

    private_pem: str = field(repr=False)
    public_pem: str

    def __repr__(self) -> str:
        return f"KeyPair(public_pem={self.public_pem!r}, private_pem=<hidden>)"


def generate_rsa_keypair(bits: int = RSA_BITS) -> KeyPair:
    """Generate an RSA key pair (2048 bits by default, exponent 65537)."""
    return _keypair(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def generate_ed25519_keypair() -> KeyPair:
    """Generate an Ed25519 key pair."""
    return _keypair(ed25519.Ed25519PrivateKey.generate())


def _keypair(private_key: PrivateKey) -> KeyPair:
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return KeyPair(private_pem=private_pem.decode("ascii"), public_pem=public_pem_of(private_key))


def public_pem_of(key: PrivateKey | PublicKey) -> str:
    """Return the SubjectPublicKeyInfo PEM of a key (or of a private key's public half)."""
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) else key
    )
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def load_private_key(pem: str | bytes) -> PrivateKey:
    """Load an unencrypted RSA or Ed25519 private key (PKCS#8 or PKCS#1 PEM)."""
    try:
        key = serialization.load_pem_private_key(_pem_bytes(pem), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The message of these errors can quote the input; never echo a private key.
        raise KeyFormatError("not an unencrypted PEM private key") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, rsa.RSAPrivateKey):
        return _check_rsa_size(key)
    raise KeyFormatError(f"unsupported private key type {type(key).__name__}")


@functools.lru_cache(maxsize=1024)  # a key object is immutable; loading one costs ~7 µs
def load_public_key(pem: str | bytes) -> PublicKey:
    """Load an RSA or Ed25519 public key: ``PUBLIC KEY`` (SPKI) or ``RSA PUBLIC KEY`` (PKCS#1)."""
    try:
        key = serialization.load_pem_public_key(_pem_bytes(pem))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"not a PEM public key: {exc}") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, rsa.RSAPublicKey):
        return _check_rsa_size(key)
    raise KeyFormatError(f"unsupported public key type {type(key).__name__}")


def coerce_private_key(key: PrivateKey | str | bytes) -> PrivateKey:
    """Return ``key`` loaded from PEM when it is text, unchanged when it is already a key.

    Loading an RSA PEM costs ~30 ms (OpenSSL checks the key's consistency) and every
    signed delivery or fetch passes its actor's PEM, so loaded keys are cached.
    """
    return _load_private_key_cached(key) if isinstance(key, str | bytes) else key


@functools.lru_cache(maxsize=128)
def _load_private_key_cached(pem: str | bytes) -> PrivateKey:
    return load_private_key(pem)


def _pem_bytes(pem: str | bytes) -> bytes:
    if isinstance(pem, str):
        try:
            return pem.strip().encode("ascii")
        except UnicodeEncodeError:
            raise KeyFormatError("PEM text is not ASCII") from None
    return pem.strip()


def _check_rsa_size(key: _RsaKey) -> _RsaKey:
    if key.key_size < MIN_RSA_BITS:
        raise KeyFormatError(f"RSA key of {key.key_size} bits is too small")
    return key


def parse_algorithm(name: str) -> SignatureAlgorithm | None:
    """Return ``name`` as an algorithm we implement, or ``None``."""
    for algorithm in SIGNATURE_ALGORITHMS:
        if name == algorithm:
            return algorithm
    return None


def default_algorithm(key: PrivateKey | PublicKey) -> SignatureAlgorithm:
    """The algorithm a key signs with when the signature does not name one."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    return "rsa-v1_5-sha256"


def algorithm_fits_key(algorithm: SignatureAlgorithm, key: PrivateKey | PublicKey) -> bool:
    """Whether ``key`` is of the type ``algorithm`` needs."""
    is_ed25519 = isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey)
    return is_ed25519 == (algorithm == "ed25519")


def sign_bytes(key: PrivateKey, data: bytes, algorithm: SignatureAlgorithm | None = None) -> bytes:
    """Sign ``data``; the algorithm defaults to the key's. Raise ``ValueError`` on a mismatch."""
    algorithm = algorithm or default_algorithm(key)
    if isinstance(key, ed25519.Ed25519PrivateKey) and algorithm == "ed25519":
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey) and algorithm == "rsa-v1_5-sha256":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, rsa.RSAPrivateKey) and algorithm == "rsa-pss-sha512":
        return key.sign(data, _pss_sha512(), hashes.SHA512())
    raise ValueError(f"algorithm {algorithm} does not fit a {type(key).__name__}")


def verify_bytes(
    key: PublicKey, data: bytes, signature: bytes, algorithm: SignatureAlgorithm
) -> bool:
    """Whether ``signature`` over ``data`` verifies (``False`` when key and algorithm differ)."""
    try:
        if isinstance(key, ed25519.Ed25519PublicKey) and algorithm == "ed25519":
            key.verify(signature, data)
        elif isinstance(key, rsa.RSAPublicKey) and algorithm == "rsa-v1_5-sha256":
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, rsa.RSAPublicKey) and algorithm == "rsa-pss-sha512":
            key.verify(signature, data, _pss_sha512(), hashes.SHA512())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _pss_sha512() -> padding.PSS:
    # RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
