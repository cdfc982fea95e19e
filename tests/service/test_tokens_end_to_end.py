"""Bearer tokens end to end: the real server on loopback with the JWT verifier of ``auth:``, the EHR's
key as a JWKS: a good token is answered, every other is a 401 problem and no card."""

from __future__ import annotations

import time

import pytest

from doseguard.service.auth import AuthSettings, JwtVerifier
from tests.helpers.tokens import EHR, KeyPair, claims, hmac_signed, jwks, signed
from tests.service.fhir_data import full_prefetch, hook_request, medication_request
from tests.service.live import Service, ServiceFactory
from tests.service.responses import SIGN, problem_of


@pytest.fixture
def secured(service: ServiceFactory, rsa_key: KeyPair) -> Service:
    verifier = JwtVerifier(AuthSettings.model_validate({"issuers": [{"iss": EHR, "jwks": jwks(rsa_key)}]}))
    return service(verifier=verifier, insecure_dev=False)


def _call(app: Service, token: str | None) -> int:
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = app.client.post(SIGN, json=body, headers=headers)
    if response.status_code == 401:
        problem_of(response, 401)  # a problem body, never cards
    return response.status_code


def test_a_good_token_is_answered_and_the_same_token_again_is_refused(
    secured: Service, rsa_key: KeyPair
) -> None:
    token = signed(rsa_key, claims(aud=secured.url + SIGN))
    assert _call(secured, token) == 200
    assert _call(secured, token) == 401  # replayed jti


@pytest.mark.parametrize("case", ["expired", "wrong audience", "hmac", "no token"])
def test_a_bad_token_is_a_401(secured: Service, rsa_key: KeyPair, case: str) -> None:
    aud = secured.url + SIGN
    now = int(time.time())
    token = {
        "expired": lambda: signed(rsa_key, claims(aud=aud, iat=now - 200, exp=now - 100)),
        "wrong audience": lambda: signed(rsa_key, claims(aud=secured.url + "/cds-services/other")),
        "hmac": lambda: hmac_signed(b"a shared secret", claims(aud=aud), kid=rsa_key.kid),
        "no token": lambda: None,
    }[case]()
    assert _call(secured, token) == 401
