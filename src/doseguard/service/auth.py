"""The bearer JWT of each request, checked as CDS Hooks 2.0 says (docs/service-security.md).

``AuthSettings`` is the ``auth:`` section of ``serve.yaml``; ``JwtVerifier`` implements
:class:`doseguard.service.ports.Verifier` with PyJWT. The order of the checks matters: the header's
``alg`` is refused before any key is looked at (so an HMAC token "signed" with a public key never
meets that key), the issuer is found in the allow-list before its keys are, a ``jku`` is compared with
the issuer's allow-list before anything is fetched, and a ``jti`` is remembered only once every other
check has passed. Every refusal is an :class:`AuthError` whose reason says what was wrong and never
holds the token."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from doseguard.errors import AuthError
from doseguard.service.jwks import (
    RemoteKeySets,
    SigningKey,
    is_allowed_key_url,
    parse_jwks,
    read_jwks_file,
)
from doseguard.service.replay import ReplayCache

log = logging.getLogger(__name__)

# The asymmetric algorithms, each with the key it needs (an EC key also its curve). HS* and none are
# not here, so they are refused whatever key an issuer has.
ALGORITHMS: dict[str, tuple[type[Any], str | None]] = {
    **{f"RS{bits}": (rsa.RSAPublicKey, None) for bits in (256, 384, 512)},
    **{f"PS{bits}": (rsa.RSAPublicKey, None) for bits in (256, 384, 512)},
    "ES256": (ec.EllipticCurvePublicKey, "secp256r1"),
    "ES384": (ec.EllipticCurvePublicKey, "secp384r1"),
    "ES512": (ec.EllipticCurvePublicKey, "secp521r1"),
}
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
MAX_SHOWN = 80  # characters of a value from the token (an issuer, a kid) quoted in a reason


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


class IssuerSettings(BaseModel):
    """One EHR whose tokens are trusted, and where its keys are: one of ``jwks_file``, ``jwks``
    (inline) or ``jwks_url``, and/or ``jku``, the key URLs its tokens may name in their header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    jwks_file: Path | None = None
    jwks: dict[str, Any] | None = None
    jwks_url: str | None = None
    jku: tuple[str, ...] = ()

    @field_validator("jwks")
    @classmethod
    def _usable_jwks(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            parse_jwks(value, "jwks")  # a ValueError here is pydantic's error, located in the file
        return value

    @field_validator("jwks_url")
    @classmethod
    def _fetchable_url(cls, value: str | None) -> str | None:
        if value is not None and not is_allowed_key_url(value):
            raise ValueError(f"{value!r}: keys are fetched over https (or http on loopback) only")
        return value

    @field_validator("jku")
    @classmethod
    def _fetchable_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not is_allowed_key_url(url):
                raise ValueError(f"{url!r}: keys are fetched over https (or http on loopback) only")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> Self:
        sources = [name for name in ("jwks_file", "jwks", "jwks_url") if getattr(self, name) is not None]
        if len(sources) > 1:
            raise ValueError(f"issuer {self.iss!r}: give one of jwks_file, jwks, jwks_url, not {sources}")
        if not sources and not self.jku:
            raise ValueError(f"issuer {self.iss!r}: no keys: give jwks_file, jwks or jwks_url, or jku")
        return self


class AuthSettings(BaseModel):
    """The ``auth:`` section of ``serve.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuers: tuple[IssuerSettings, ...] = Field(min_length=1)
    clock_skew_seconds: int = Field(default=60, ge=0, le=300)
    max_token_age_seconds: int = Field(default=300, ge=1, le=3600)
    replay_cache_size: int = Field(default=100_000, ge=1, le=10_000_000)
    fetch_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    jwks_cache_seconds: int = Field(default=300, ge=0, le=86_400)

    @model_validator(mode="after")
    def _issuers_once(self) -> Self:
        seen: set[str] = set()
        for issuer in self.issuers:
            if issuer.iss in seen:
                raise ValueError(f"issuer {issuer.iss!r} is listed twice")
            seen.add(issuer.iss)
        return self

    def resolve_paths(self, folder: Path) -> AuthSettings:
        """These settings with each relative ``jwks_file`` read from ``folder`` (the config file's)."""
        issuers = tuple(
            issuer.model_copy(update={"jwks_file": folder / issuer.jwks_file})
            if issuer.jwks_file is not None and not issuer.jwks_file.is_absolute()
            else issuer
            for issuer in self.issuers
        )
        return self.model_copy(update={"issuers": issuers})


class JwtVerifier:
    """Checks a request's ``Authorization: Bearer <JWT>`` (see the module's docstring for the order).

    Keys from files and inline sets are read here, at start (an unreadable file is an
    :class:`InputError` naming it); keys at URLs when first needed, then cached."""

    may_block = True  # a key set may be fetched

    def __init__(self, settings: AuthSettings, *, remote: RemoteKeySets | None = None) -> None:
        self._settings = settings
        self._issuers = {issuer.iss: issuer for issuer in settings.issuers}
        self._static: dict[str, tuple[SigningKey, ...]] = {}
        for issuer in settings.issuers:
            if issuer.jwks_file is not None:
                self._static[issuer.iss] = read_jwks_file(issuer.jwks_file)
            elif issuer.jwks is not None:
                self._static[issuer.iss] = parse_jwks(issuer.jwks, f"issuer {issuer.iss}: jwks")
        self._remote = remote or RemoteKeySets(
            timeout=settings.fetch_timeout_seconds, ttl=settings.jwks_cache_seconds
        )
        self._replays = ReplayCache(settings.replay_cache_size)

    def verify(self, authorization: str | None, service_url: str) -> Mapping[str, Any]:
        token = _bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:  # PyJWT's words name the part, never quote the token
            said = str(error)[:MAX_SHOWN]
            raise AuthError(f"the bearer token is not a well-formed JWT: {said}") from None
        algorithm = _checked_algorithm(header)
        issuer = self._issuer(unverified.get("iss"))
        key = self._key(issuer, header, algorithm)
        claims = self._decoded(token, key, algorithm, issuer.iss, service_url)
        self._check_age(claims)
        self._replays.remember(issuer.iss, claims["jti"], self._remembered_until(claims))
        return claims

    def close(self) -> None:
        self._remote.close()

    def _issuer(self, iss: object) -> IssuerSettings:
        if iss is None:
            raise AuthError("the token has no iss claim (the EHR that issued it)")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthError(f"the token's issuer {_shown(iss)} is not a trusted issuer")
        return issuer

    def _key(self, issuer: IssuerSettings, header: Mapping[str, Any], algorithm: str) -> Any:
        """The key that must have signed the token: from the allow-listed ``jku`` it names, else from
        the issuer's configured set; chosen by ``kid`` (or the only key, when the token names none)."""
        jku = header.get("jku")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthError("the token's kid is not a string")
        if jku is not None:
            if not isinstance(jku, str) or jku not in issuer.jku:
                raise AuthError(
                    f"the token's jku {_shown(jku)} is not allow-listed for issuer {issuer.iss!r}"
                )
            url: str | None = jku
        else:
            url = issuer.jwks_url
        if url is None and issuer.iss not in self._static:
            raise AuthError(f"issuer {issuer.iss!r} has no configured keys: its tokens must name a jku")
        keys = self._static[issuer.iss] if url is None else self._remote.keys(url)
        chosen = _by_kid(keys, kid)
        if chosen is None and url is not None and kid is not None:
            chosen = _by_kid(self._remote.keys(url, missing_kid=True), kid)  # rotated keys
        if chosen is None:
            if kid is None:
                raise AuthError(f"the token has no kid and issuer {issuer.iss!r} has {len(keys)} keys")
            raise AuthError(f"no key with kid {_shown(kid)} for issuer {issuer.iss!r}")
        return _key_for(chosen, algorithm)

    def _decoded(self, token: str, key: Any, algorithm: str, iss: str, service_url: str) -> dict[str, Any]:
        skew = self._settings.clock_skew_seconds
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=service_url,
                issuer=iss,
                leeway=skew,
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": False},
            )
        except jwt.MissingRequiredClaimError as error:
            raise AuthError(f"the token has no {error.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature does not verify with the issuer's key") from None
        except jwt.ExpiredSignatureError:
            raise AuthError(f"the token has expired (exp is past, beyond a clock skew of {skew} s)") from None
        except jwt.InvalidAudienceError:
            raise AuthError(f"the token's aud is not this service's URL {service_url!r}") from None
        except jwt.ImmatureSignatureError as error:
            claim = "iat" if "iat" in str(error) else "nbf"
            raise AuthError(
                f"the token's {claim} is in the future (beyond a clock skew of {skew} s)"
            ) from None
        except jwt.InvalidIssuedAtError:
            raise AuthError("the token's iat is not a number") from None
        except jwt.exceptions.InvalidJTIError:
            raise AuthError("the token's jti is not a string") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"the token cannot be verified: {type(error).__name__}") from None

    def _check_age(self, claims: Mapping[str, Any]) -> None:
        if not claims["jti"]:
            raise AuthError("the token's jti is empty")
        limit = self._settings.max_token_age_seconds + self._settings.clock_skew_seconds
        age = time.time() - float(claims["iat"])
        if age > limit:
            raise AuthError(
                f"the token was issued {int(age)} s ago: older than the maximum age of "
                f"{self._settings.max_token_age_seconds} s"
            )

    def _remembered_until(self, claims: Mapping[str, Any]) -> float:
        """A token cannot be accepted after its exp, nor past its maximum age: its jti need not be
        remembered longer."""
        skew = self._settings.clock_skew_seconds
        return min(float(claims["exp"]), float(claims["iat"]) + self._settings.max_token_age_seconds) + skew


class InsecureDevVerifier:
    """For ``--insecure-dev`` only: accepts every request, token or not. The caller guarantees the
    service listens on loopback (``doseguard serve`` refuses it on any other address)."""

    may_block = False

    def __init__(self) -> None:
        log.warning("insecure-dev: bearer tokens are NOT checked; for development on loopback only")

    def verify(self, authorization: str | None, service_url: str) -> Mapping[str, Any]:
        return {}


def _bearer_token(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise AuthError("no Authorization header: a bearer JWT is required")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthError(f"the Authorization scheme is {_shown(scheme[:20])}, not Bearer")
    token = token.strip()
    if not token or " " in token:
        raise AuthError("the Authorization header holds no single bearer token")
    return token


def _checked_algorithm(header: Mapping[str, Any]) -> str:
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        allowed = ", ".join(ALGORITHMS)
        raise AuthError(f"the token's alg {_shown(algorithm)} is not allowed: only asymmetric ({allowed})")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
        raise AuthError(f"the token's typ {_shown(typ)} is not JWT")
    return str(algorithm)


def _by_kid(keys: tuple[SigningKey, ...], kid: str | None) -> SigningKey | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.kid == kid), None)


def _key_for(chosen: SigningKey, algorithm: str) -> Any:
    """The key object, if it is of the kind ``algorithm`` needs (and the JWK's own ``alg``, if it
    states one, is that algorithm)."""
    if chosen.alg is not None and chosen.alg != algorithm:
        raise AuthError(
            f"the token's alg {algorithm} is not the alg {_shown(chosen.alg)} of key {chosen.kid!r}"
        )
    kind, curve = ALGORITHMS[algorithm]
    key = chosen.key
    if not isinstance(key, kind) or (curve is not None and key.curve.name != curve):
        raise AuthError(f"the token's alg {algorithm} does not fit key {chosen.kid!r}")
    return key
