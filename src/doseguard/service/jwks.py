"""The public keys that sign the EHR's bearer tokens: JSON Web Key Sets read from a file, given inline,
or fetched from a URL (an issuer's ``jwks_url``, or a token's allow-listed ``jku``).

Keys are parsed by PyJWT (``PyJWKSet``); only signature keys of the asymmetric families are kept, so
no key of a set can ever be used as an HMAC secret. A fetched set is cached for ``ttl`` seconds, and
fetched again early (at most once per ``refetch_interval``) when a token names a ``kid`` it lacks: how
an EHR's key rotation is picked up without a restart."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from doseguard.errors import AuthError, InputError

ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC"})
MAX_JWKS_BYTES = 1 << 20  # a JWKS is a few kilobytes: anything this large is not one


def is_allowed_key_url(url: str) -> bool:
    """Keys are fetched over https only, or plain http to this machine (tests, a sidecar)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SigningKey:
    """One public key of a set: its ``kid``, the ``alg`` its JWK declares (if any), the key object."""

    kid: str | None
    alg: str | None
    key: Any


def parse_jwks(data: Any, where: str) -> tuple[SigningKey, ...]:
    """The usable signature keys of a JWKS document; ``ValueError`` saying why when it holds none."""
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
        raise ValueError(f"{where}: not a JWKS (an object with a list of 'keys')")
    keys = []
    for entry in data["keys"]:
        if not isinstance(entry, Mapping) or entry.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue  # oct (HMAC) and unknown key types are never used
        if entry.get("use", "sig") != "sig":
            continue
        try:
            parsed = jwt.PyJWK(dict(entry))
        except jwt.PyJWTError as error:
            raise ValueError(f"{where}: key {entry.get('kid')!r} cannot be read: {error}") from None
        kid, alg = entry.get("kid"), entry.get("alg")
        keys.append(
            SigningKey(
                kid if isinstance(kid, str) else None, alg if isinstance(alg, str) else None, parsed.key
            )
        )
    if not keys:
        raise ValueError(f"{where}: no RSA or EC signature key")
    return tuple(keys)


def read_jwks_file(path: Path) -> tuple[SigningKey, ...]:
    """The keys of a JWKS file; :class:`InputError` naming the file when it cannot be used."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise InputError(str(path), f"cannot read the JWKS file: {error.strerror or error}") from None
    except ValueError as error:
        raise InputError(str(path), f"the JWKS file is not JSON: {error}") from None
    try:
        return parse_jwks(data, str(path))
    except ValueError as error:
        raise InputError(str(path), str(error).removeprefix(f"{path}: ")) from None


@dataclass(frozen=True)
class _Fetched:
    keys: tuple[SigningKey, ...]
    at: float


class RemoteKeySets:
    """JWKS documents fetched by URL with httpx, cached; a failure is an :class:`AuthError` (the
    request is refused: fail closed), and is not cached, so the next request tries again."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        ttl: float = 300.0,
        refetch_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
        self._ttl = ttl
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._cache: dict[str, _Fetched] = {}
        self._lock = threading.Lock()

    def keys(self, url: str, *, missing_kid: bool = False) -> tuple[SigningKey, ...]:
        """The keys at ``url``: cached unless older than the TTL, or (``missing_kid``: the token names
        a key the cached set lacks) older than the refetch interval."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None:
            age = now - cached.at
            if age < self._ttl and not (missing_kid and age >= self._refetch_interval):
                return cached.keys
        fetched = _Fetched(self._fetch(url), now)
        with self._lock:
            self._cache[url] = fetched
        return fetched.keys

    def _fetch(self, url: str) -> tuple[SigningKey, ...]:
        if not is_allowed_key_url(url):
            raise AuthError(f"keys are fetched over https (or http on loopback) only, not from {url}")
        try:
            with self._client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise AuthError(f"cannot fetch the keys at {url}: HTTP {response.status_code}")
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > MAX_JWKS_BYTES:
                        raise AuthError(f"cannot fetch the keys at {url}: over {MAX_JWKS_BYTES} bytes")
        except httpx.HTTPError as error:
            raise AuthError(f"cannot fetch the keys at {url}: {type(error).__name__}") from None
        try:
            return parse_jwks(json.loads(bytes(body)), url)
        except ValueError as error:
            raise AuthError(f"cannot use the keys at {url}: {error}") from None

    def close(self) -> None:
        self._client.close()
