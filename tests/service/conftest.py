"""Fixtures shared by the service's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.jwks_server import JwksServer
from tests.helpers.tokens import KeyPair, ec_pair, rsa_pair

# --- s12-auth: signing keys and a JWKS server on loopback ------------------------------------------


@pytest.fixture(scope="session")
def rsa_key() -> KeyPair:
    """An EHR's RSA key (RS384), made once: key generation is the slow part."""
    return rsa_pair("ehr-rsa-1")


@pytest.fixture(scope="session")
def ec_key() -> KeyPair:
    """An EHR's EC key (ES384, P-384)."""
    return ec_pair("ehr-ec-1")


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    """A JWKS server on 127.0.0.1, for one test."""
    server = JwksServer()
    try:
        yield server
    finally:
        server.close()
