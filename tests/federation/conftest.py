"""Key pairs shared by the signature tests (RSA key generation is slow: made once a module)."""

from __future__ import annotations

import pytest

from federation.keys import KeyPair, generate_rsa_keypair


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_rsa_keypair()


@pytest.fixture(scope="module")
def other_pair() -> KeyPair:
    return generate_rsa_keypair()
