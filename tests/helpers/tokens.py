"""Bearer tokens for the service's tests: key pairs made with cryptography, tokens signed as an EHR
signs them (PyJWT), and tokens forged by hand (HMAC, ``none``) as an attacker would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

EHR = "https://ehr.example.org"
SERVICE_URL = "http://127.0.0.1:8080/cds-services/doseguard-order-sign"


@dataclass(frozen=True)
class KeyPair:
    """A signing key of an EHR: ``kid``, the algorithm it signs with, the private and public keys."""

    kid: str
    algorithm: str
    private: Any
    public: Any

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK, with its kid, alg and use."""
        family = RSAAlgorithm if self.algorithm[0] in "RP" else ECAlgorithm
        data: dict[str, Any] = family.to_jwk(self.public, as_dict=True)
        return {**data, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def public_pem(self) -> bytes:
        return bytes(
            self.public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def rsa_pair(kid: str, algorithm: str = "RS384") -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(kid, algorithm, private, private.public_key())


def ec_pair(kid: str, algorithm: str = "ES384") -> KeyPair:
    curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[algorithm]
    private = ec.generate_private_key(curve)
    return KeyPair(kid, algorithm, private, private.public_key())


def jwks(*pairs: KeyPair) -> dict[str, Any]:
    return {"keys": [pair.jwk() for pair in pairs]}


def claims(aud: str = SERVICE_URL, iss: str = EHR, **changes: Any) -> dict[str, Any]:
    """Good claims for a token issued now (a change of ``None`` leaves that claim out)."""
    now = int(time.time())
    base: dict[str, Any] = {"iss": iss, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(pair: KeyPair, payload: dict[str, Any], **header: Any) -> str:
    """A token signed by ``pair`` (its kid in the header unless ``kid=None`` is given)."""
    fields = {"kid": pair.kid, "typ": "JWT", **header}
    return jwt.encode(
        payload,
        pair.private,
        algorithm=pair.algorithm,
        headers={k: v for k, v in fields.items() if v is not None},
    )


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token put together by hand, with whatever header and signature."""
    return ".".join(
        [_segment(json.dumps(header).encode()), _segment(json.dumps(payload).encode()), _segment(signature)]
    )


def hmac_signed(secret: bytes, payload: dict[str, Any], **header: Any) -> str:
    """A token signed with HS256 and ``secret`` (a public key's PEM: the algorithm-confusion attack),
    made by hand because PyJWT refuses to use a PEM as an HMAC secret."""
    head = {"alg": "HS256", "typ": "JWT", **header}
    signing_input = f"{_segment(json.dumps(head).encode())}.{_segment(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_segment(signature)}"
