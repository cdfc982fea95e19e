"""Key sets at URLs: fetched over https or loopback http only, bounded in size and time, and a failure
is a refusal of the request (never "no keys, so accept")."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from doseguard.errors import AuthError
from doseguard.service.jwks import MAX_JWKS_BYTES, RemoteKeySets, is_allowed_key_url, parse_jwks
from tests.helpers.jwks_server import JwksServer
from tests.helpers.tokens import KeyPair, jwks


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://ehr.example.org/jwks.json", True),
        ("http://127.0.0.1:8443/jwks.json", True),
        ("http://127.0.0.2/jwks.json", True),
        ("http://[::1]:9000/jwks.json", True),
        ("http://localhost/jwks.json", True),
        ("http://ehr.example.org/jwks.json", False),
        ("http://127.0.0.1.evil.example/jwks.json", False),
        ("http://10.0.0.1/jwks.json", False),
        ("ftp://ehr.example.org/jwks.json", False),
        ("file:///etc/jwks.json", False),
        ("https:///jwks.json", False),
        ("jwks.json", False),
    ],
)
def test_keys_are_fetched_over_https_or_loopback_http_only(url: str, allowed: bool) -> None:
    assert is_allowed_key_url(url) is allowed


def test_a_url_that_is_not_allowed_is_never_fetched() -> None:
    with pytest.raises(AuthError, match="https \\(or http on loopback\\) only"):
        RemoteKeySets().keys("http://ehr.example.org/jwks.json")


def test_a_key_set_keeps_only_rsa_and_ec_signature_keys(rsa_key: KeyPair, ec_key: KeyPair) -> None:
    encryption = {**rsa_key.jwk(), "kid": "enc", "use": "enc"}
    secret = {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}
    keys = parse_jwks({"keys": [secret, encryption, rsa_key.jwk(), ec_key.jwk(), "junk"]}, "test")
    assert [(key.kid, key.alg) for key in keys] == [("ehr-rsa-1", "RS384"), ("ehr-ec-1", "ES384")]


def test_a_document_that_is_not_a_key_set_is_refused() -> None:
    with pytest.raises(ValueError, match="not a JWKS"):
        parse_jwks([{"kty": "RSA"}], "where.json")


def test_a_key_set_over_the_size_bound_is_refused(jwks_server: JwksServer, rsa_key: KeyPair) -> None:
    url = jwks_server.serve("/huge.json", {**jwks(rsa_key), "padding": "x" * MAX_JWKS_BYTES})
    with pytest.raises(AuthError, match=f"over {MAX_JWKS_BYTES} bytes"):
        RemoteKeySets().keys(url)


def test_a_document_that_is_not_json_is_refused(jwks_server: JwksServer) -> None:
    url = jwks_server.serve("/text", "not a key set")
    with pytest.raises(AuthError, match="cannot use the keys at"):
        RemoteKeySets().keys(url)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback address that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/jwks.json"


def test_a_server_that_does_not_answer_refuses_the_request_after_the_timeout(silent_server: str) -> None:
    with pytest.raises(AuthError, match="ReadTimeout"):
        RemoteKeySets(timeout=0.2).keys(silent_server)


def test_a_failed_fetch_is_not_cached(jwks_server: JwksServer, rsa_key: KeyPair) -> None:
    remote = RemoteKeySets()
    url = jwks_server.url("/later.json")
    with pytest.raises(AuthError, match="HTTP 404"):
        remote.keys(url)
    jwks_server.serve("/later.json", jwks(rsa_key))
    assert [key.kid for key in remote.keys(url)] == ["ehr-rsa-1"]
