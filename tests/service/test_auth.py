"""The bearer JWT checks of CDS Hooks 2.0: tokens signed by the test with RSA and EC keys made in a
fixture, accepted when right and refused, with a reason that says what was wrong, when not."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from doseguard.errors import AuthError, InputError
from doseguard.service.auth import AuthSettings, InsecureDevVerifier, JwtVerifier
from doseguard.service.jwks import RemoteKeySets
from doseguard.service.ports import Verifier
from tests.helpers.jwks_server import JwksServer
from tests.helpers.tokens import (
    EHR,
    SERVICE_URL,
    KeyPair,
    claims,
    forged,
    hmac_signed,
    jwks,
    rsa_pair,
    signed,
)


def verifier_of(*pairs: KeyPair, **settings: Any) -> JwtVerifier:
    issuer = {"iss": EHR, "jwks": jwks(*pairs), **settings.pop("issuer", {})}
    return JwtVerifier(AuthSettings.model_validate({"issuers": [issuer], **settings}))


def refusal(verifier: Verifier, token: str | None, url: str = SERVICE_URL, *, scheme: str = "Bearer") -> str:
    """The reason ``token`` is refused, checked not to hold the token or its signature."""
    header = None if token is None else f"{scheme} {token}"
    with pytest.raises(AuthError) as refused:
        verifier.verify(header, url)
    reason = refused.value.reason
    if token:
        assert token not in reason
        signature = token.rsplit(".", 1)[-1]
        assert not signature or signature not in reason
    return reason


@pytest.fixture
def verifier(rsa_key: KeyPair, ec_key: KeyPair) -> JwtVerifier:
    return verifier_of(rsa_key, ec_key)


# --- accepted ---------------------------------------------------------------------------------------


def test_a_token_signed_with_an_rsa_key_is_accepted_and_its_claims_returned(
    verifier: JwtVerifier, rsa_key: KeyPair
) -> None:
    payload = claims(sub="Practitioner/7")
    accepted = verifier.verify(f"Bearer {signed(rsa_key, payload)}", SERVICE_URL)
    assert accepted == payload


def test_a_token_signed_with_an_ec_key_is_accepted(verifier: JwtVerifier, ec_key: KeyPair) -> None:
    payload = claims()
    assert verifier.verify(f"Bearer {signed(ec_key, payload)}", SERVICE_URL)["jti"] == payload["jti"]


def test_the_scheme_is_read_whatever_its_case_and_ps256_is_an_asymmetric_algorithm() -> None:
    pair = rsa_pair("ps", "PS256")
    payload = claims()
    assert verifier_of(pair).verify(f"bearer {signed(pair, payload)}", SERVICE_URL) == payload


def test_without_a_kid_the_issuers_only_key_is_used(rsa_key: KeyPair) -> None:
    token = signed(rsa_key, claims(), kid=None)
    assert verifier_of(rsa_key).verify(f"Bearer {token}", SERVICE_URL)["iss"] == EHR


def test_the_verifier_implements_the_services_port(verifier: JwtVerifier) -> None:
    port: Verifier = verifier  # mypy checks the protocol; this checks it at run time too
    assert callable(port.verify)


# --- refused: the header -----------------------------------------------------------------------------


def test_no_authorization_header_is_refused(verifier: JwtVerifier) -> None:
    assert "no Authorization header" in refusal(verifier, None)
    assert "no Authorization header" in refusal(verifier, "", scheme="")


def test_a_scheme_other_than_bearer_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    assert "not Bearer" in refusal(verifier, signed(rsa_key, claims()), scheme="Basic")


def test_a_bearer_token_that_is_not_a_jwt_is_refused(verifier: JwtVerifier) -> None:
    assert refusal(verifier, "not-a-jwt") == "the bearer token is not a well-formed JWT: Not enough segments"


def test_an_hmac_token_is_refused(verifier: JwtVerifier) -> None:
    reason = refusal(verifier, hmac_signed(b"a shared secret", claims(), kid="ehr-rsa-1"))
    assert "alg 'HS256' is not allowed: only asymmetric" in reason


def test_an_unsigned_token_alg_none_is_refused(verifier: JwtVerifier) -> None:
    for alg in ("none", "None", "NONE"):
        reason = refusal(verifier, forged({"alg": alg, "typ": "JWT", "kid": "ehr-rsa-1"}, claims()))
        assert f"alg {alg!r} is not allowed" in reason


def test_the_algorithm_confusion_attack_an_hmac_signed_with_the_public_key_is_refused(
    verifier: JwtVerifier, rsa_key: KeyPair
) -> None:
    """The classic attack: HS256 with the issuer's public key (its PEM, as a library that reads the
    key as an HMAC secret would) as the secret. A naive verifier handed the PEM would accept it."""
    token = hmac_signed(rsa_key.public_pem(), claims(), kid=rsa_key.kid)
    assert "alg 'HS256' is not allowed" in refusal(verifier, token)


def test_a_token_whose_alg_does_not_fit_the_named_key_is_refused(
    verifier: JwtVerifier, ec_key: KeyPair
) -> None:
    """An ES384 signature presented as another key's (the RSA key's kid)."""
    reason = refusal(verifier, signed(ec_key, claims(), kid="ehr-rsa-1"))
    assert "alg ES384 is not the alg 'RS384' of key 'ehr-rsa-1'" in reason


def test_a_token_of_a_key_that_states_no_alg_must_still_fit_its_kind(ec_key: KeyPair) -> None:
    rsa_without_alg = rsa_pair("bare")
    bare = {name: value for name, value in rsa_without_alg.jwk().items() if name != "alg"}
    verifier = JwtVerifier(AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks": {"keys": [bare]}}]}))
    assert "alg ES384 does not fit key 'bare'" in refusal(verifier, signed(ec_key, claims(), kid="bare"))


def test_a_typ_other_than_jwt_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    assert "typ 'at+jwt' is not JWT" in refusal(verifier, signed(rsa_key, claims(), typ="at+jwt"))


def test_a_header_with_critical_extensions_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    token = signed(rsa_key, claims(), crit=["exp-ehr"], **{"exp-ehr": 1})
    assert (
        refusal(verifier, token)
        == "the bearer token is not a well-formed JWT: Unsupported critical extension: exp-ehr"
    )


def test_an_unknown_kid_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    reason = refusal(verifier, signed(rsa_key, claims(), kid="retired-2019"))
    assert reason == f"no key with kid 'retired-2019' for issuer {EHR!r}"


def test_a_token_without_a_kid_is_refused_when_the_issuer_has_several_keys(
    verifier: JwtVerifier, rsa_key: KeyPair
) -> None:
    assert "has no kid and issuer" in refusal(verifier, signed(rsa_key, claims(), kid=None))


def test_a_signature_by_another_key_under_a_trusted_kid_is_refused(verifier: JwtVerifier) -> None:
    impostor = rsa_pair("ehr-rsa-1")  # same kid and algorithm, another key
    assert "signature does not verify" in refusal(verifier, signed(impostor, claims()))


# --- refused: the claims -----------------------------------------------------------------------------


def test_an_expired_token_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    now = int(time.time())
    token = signed(rsa_key, claims(iat=now - 200, exp=now - 61))  # past the 60 s of skew
    assert "has expired" in refusal(verifier, token)


def test_a_token_expired_within_the_clock_skew_is_accepted(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    now = int(time.time())
    token = signed(rsa_key, claims(iat=now - 100, exp=now - 30))
    assert verifier.verify(f"Bearer {token}", SERVICE_URL)["exp"] == now - 30


@pytest.mark.parametrize(
    "called",
    [
        "http://127.0.0.1:8080/cds-services/doseguard-order-select",  # another service of ours
        SERVICE_URL + "/",  # a trailing slash
        "https://127.0.0.1:8080/cds-services/doseguard-order-sign",  # another scheme
    ],
)
def test_a_token_for_another_url_is_refused(verifier: JwtVerifier, rsa_key: KeyPair, called: str) -> None:
    reason = refusal(verifier, signed(rsa_key, claims(aud=SERVICE_URL)), url=called)
    assert reason == f"the token's aud is not this service's URL {called!r}"


def test_an_unknown_issuer_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    reason = refusal(verifier, signed(rsa_key, claims(iss="https://evil.example.com")))
    assert reason == "the token's issuer 'https://evil.example.com' is not a trusted issuer"


def test_a_replayed_token_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    token = signed(rsa_key, claims())
    verifier.verify(f"Bearer {token}", SERVICE_URL)
    assert "jti was used before" in refusal(verifier, token)


def test_a_jti_reused_in_another_token_is_refused(
    verifier: JwtVerifier, rsa_key: KeyPair, ec_key: KeyPair
) -> None:
    verifier.verify(f"Bearer {signed(rsa_key, claims(jti='nonce-1'))}", SERVICE_URL)
    assert "replay" in refusal(verifier, signed(ec_key, claims(jti="nonce-1")))


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "jti"])
def test_a_missing_claim_is_refused_naming_it(verifier: JwtVerifier, rsa_key: KeyPair, claim: str) -> None:
    reason = refusal(verifier, signed(rsa_key, claims(**{claim: None})))
    assert claim in reason
    assert "no " in reason


def test_an_empty_jti_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    assert "jti is empty" in refusal(verifier, signed(rsa_key, claims(jti="")))


def test_an_iat_in_the_future_is_refused(verifier: JwtVerifier, rsa_key: KeyPair) -> None:
    now = int(time.time())
    reason = refusal(verifier, signed(rsa_key, claims(iat=now + 120, exp=now + 400)))
    assert reason == "the token's iat is in the future (beyond a clock skew of 60 s)"


def test_a_token_older_than_the_maximum_age_is_refused(rsa_key: KeyPair) -> None:
    now = int(time.time())
    verifier = verifier_of(rsa_key, max_token_age_seconds=60, clock_skew_seconds=0)
    reason = refusal(verifier, signed(rsa_key, claims(iat=now - 600, exp=now + 600)))
    assert "older than the maximum age of 60 s" in reason


# --- keys at URLs: jku and jwks_url -------------------------------------------------------------------


def test_a_jku_not_allow_listed_is_refused_without_being_fetched(
    rsa_key: KeyPair, jwks_server: JwksServer
) -> None:
    listed = jwks_server.serve("/jwks.json", jwks(rsa_key))
    other = jwks_server.serve("/attacker/jwks.json", jwks(rsa_key))
    verifier = verifier_of(issuer={"jwks": None, "jku": [listed]})
    reason = refusal(verifier, signed(rsa_key, claims(), jku=other))
    assert reason == f"the token's jku '{other}' is not allow-listed for issuer {EHR!r}"
    assert jwks_server.requests == []


def test_an_allow_listed_jku_is_fetched_once_and_its_key_used(
    rsa_key: KeyPair, jwks_server: JwksServer
) -> None:
    listed = jwks_server.serve("/jwks.json", jwks(rsa_key))
    verifier = verifier_of(issuer={"jwks": None, "jku": [listed]})
    for _ in range(3):
        payload = claims()
        assert verifier.verify(f"Bearer {signed(rsa_key, payload, jku=listed)}", SERVICE_URL) == payload
    assert jwks_server.requests == ["/jwks.json"]  # cached


def test_a_jku_of_another_issuer_is_refused(rsa_key: KeyPair, jwks_server: JwksServer) -> None:
    theirs = jwks_server.serve("/other-ehr/jwks.json", jwks(rsa_key))
    settings = {
        "issuers": [{"iss": EHR, "jwks": jwks(rsa_key)}, {"iss": "https://other.example", "jku": [theirs]}]
    }
    verifier = JwtVerifier(AuthSettings.model_validate(settings))
    assert "not allow-listed for issuer" in refusal(verifier, signed(rsa_key, claims(), jku=theirs))
    assert jwks_server.requests == []


def test_an_issuer_with_only_a_jku_allow_list_refuses_a_token_naming_none(
    rsa_key: KeyPair, jwks_server: JwksServer
) -> None:
    verifier = verifier_of(issuer={"jwks": None, "jku": [jwks_server.url("/jwks.json")]})
    assert "its tokens must name a jku" in refusal(verifier, signed(rsa_key, claims()))


def test_a_jwks_url_is_fetched_again_when_a_token_names_a_new_kid(
    rsa_key: KeyPair, jwks_server: JwksServer
) -> None:
    """Key rotation: the EHR publishes a new key; the next token naming it makes the set be fetched again."""
    url = jwks_server.serve("/keys", jwks(rsa_key))
    settings = AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks_url": url}]})
    verifier = JwtVerifier(settings, remote=RemoteKeySets(refetch_interval=0))  # no waiting out the interval
    verifier.verify(f"Bearer {signed(rsa_key, claims())}", SERVICE_URL)
    rotated = rsa_pair("ehr-rsa-2")
    jwks_server.serve("/keys", jwks(rsa_key, rotated))
    assert verifier.verify(f"Bearer {signed(rotated, claims())}", SERVICE_URL)["iss"] == EHR
    assert jwks_server.requests == ["/keys", "/keys"]


def test_keys_that_cannot_be_fetched_refuse_the_request(rsa_key: KeyPair, jwks_server: JwksServer) -> None:
    url = jwks_server.url("/missing.json")  # 404
    verifier = JwtVerifier(AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks_url": url}]}))
    assert refusal(verifier, signed(rsa_key, claims())) == f"cannot fetch the keys at {url}: HTTP 404"


def test_a_fetched_set_with_only_an_hmac_key_is_not_used(rsa_key: KeyPair, jwks_server: JwksServer) -> None:
    url = jwks_server.serve("/oct.json", {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "ehr-rsa-1"}]})
    verifier = JwtVerifier(AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks_url": url}]}))
    assert "no RSA or EC signature key" in refusal(verifier, signed(rsa_key, claims()))


# --- settings ----------------------------------------------------------------------------------------


def test_settings_have_the_documented_defaults(rsa_key: KeyPair) -> None:
    settings = AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks": jwks(rsa_key)}]})
    assert (settings.clock_skew_seconds, settings.max_token_age_seconds) == (60, 300)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"clock_skew": 60}, "Extra inputs are not permitted"),
        ({"clock_skew_seconds": 3600}, "less than or equal to 300"),
        ({"clock_skew_seconds": -1}, "greater than or equal to 0"),
        ({"max_token_age_seconds": 0}, "greater than or equal to 1"),
        ({"issuers": []}, "at least 1 item"),
        ({"issuers": [{"iss": EHR}]}, "no keys"),
        ({"issuers": [{"iss": EHR, "jku": ["http://keys.example.org/jwks.json"]}]}, "https (or http on loopback)"),
        ({"issuers": [{"iss": EHR, "jwks_url": "file:///etc/keys.json"}]}, "https (or http on loopback)"),
        ({"issuers": [{"iss": EHR, "jwks": {"keys": []}}]}, "no RSA or EC signature key"),
        ({"issuers": [{"iss": EHR, "jwks": {"keys": [{"kty": "RSA", "n": "x"}]}}]}, "cannot be read"),
        ({"issuers": [{"iss": EHR, "jwks_file": "a.json", "jwks_url": "https://x.org/k"}]}, "give one of"),
        ({"issuers": [{"iss": EHR, "jku": ["https://a.org/k"]}, {"iss": EHR, "jku": ["https://b.org/k"]}]},
         "listed twice"),
    ],
)  # fmt: skip
def test_settings_that_cannot_be_used_are_refused_saying_why(changes: dict[str, Any], said: str) -> None:
    data = {"issuers": [{"iss": EHR, "jku": ["https://ehr.example.org/jwks.json"]}], **changes}
    with pytest.raises(ValidationError, match=re.escape(said)):
        AuthSettings.model_validate(data)


def test_a_relative_jwks_file_is_read_from_the_config_files_folder(tmp_path: Path, rsa_key: KeyPair) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ehr.jwks.json").write_text(json.dumps(jwks(rsa_key)), encoding="utf-8")
    settings = AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks_file": "keys/ehr.jwks.json"}]})
    resolved = settings.resolve_paths(tmp_path)
    assert resolved.issuers[0].jwks_file == tmp_path / "keys" / "ehr.jwks.json"
    payload = claims()
    assert JwtVerifier(resolved).verify(f"Bearer {signed(rsa_key, payload)}", SERVICE_URL) == payload


def test_an_absolute_jwks_file_is_kept(tmp_path: Path) -> None:
    settings = AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks_file": str(tmp_path / "k.json")}]})
    assert settings.resolve_paths(Path("/elsewhere")).issuers[0].jwks_file == tmp_path / "k.json"


def test_a_jwks_file_that_cannot_be_read_stops_the_start_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    settings = AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks_file": str(missing)}]})
    with pytest.raises(InputError) as refused:
        JwtVerifier(settings)
    assert refused.value.path == str(missing)
    assert "cannot read the JWKS file" in refused.value.message
    missing.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        JwtVerifier(settings)


# --- --insecure-dev -----------------------------------------------------------------------------------


def test_the_insecure_dev_verifier_accepts_anything_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    verifier: Verifier = InsecureDevVerifier()
    assert verifier.verify(None, SERVICE_URL) == {}
    assert verifier.verify("Bearer whatever", "http://elsewhere/") == {}
    assert "NOT checked" in caplog.text
