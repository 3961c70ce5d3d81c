"""Verification of the signed JWT every CDS client sends ("Trusting CDS Clients", CDS Hooks 2.0).

Order of checks follows the CDS Hooks best-practice note: the token is size-capped and its header
vetted (asymmetric ES384/RS384 only, `kid` required) before any key work; the unverified `iss`
only selects an allowlisted client; the key comes from that client's configuration (a `jku` in
the token must equal the configured JWKS URL, and is never fetched otherwise); the signature,
`aud`, `iss`, `exp`, `iat` and `jti` are then checked, and the `jti` is recorded in a store shared
by every worker so a replay fails everywhere. Every failure is an `AuthError` whose `reason` is
safe to log: it never contains the token, and of the claims only the issuer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import jwt
import requests
import urllib3.exceptions

from cds_hooks.bounded_http import Deadline, new_session
from cds_hooks.trusted_clients import TrustedClient

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset({"ES384", "RS384"})  # spec: no "none", no symmetric algorithms
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
MAX_TOKEN_CHARS = 8192
MAX_LIFETIME_S = 3600  # jtis are kept until exp, so lifetimes are bounded (best practice: ≤ 1 h)
MAX_JTI_CHARS = 256
MAX_KID_CHARS = 256
MAX_JWKS_BYTES = 64 * 1024
MIN_RSA_BITS = 2048
_NEVER = float("-inf")


class AuthError(Exception):
    """The call is not authenticated; `reason` is for the log only (the client just sees 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayStore(Protocol):
    """Remembers (iss, jti) pairs until they expire; shared by all workers and instances."""

    def remember_jti(self, iss: str, jti: str, expires_at: datetime) -> bool:
        """Record the pair; False when it was already recorded (a replay)."""
        ...


class JwtVerifier:
    """Checks `Authorization: Bearer <jwt>` headers against the trusted clients."""

    def __init__(
        self,
        clients: Mapping[str, TrustedClient],
        replay: ReplayStore,
        *,
        leeway_s: int = 30,
        jwks_cache_s: int = 300,
        http_timeout_s: float = 2.0,
        ca_bundle: str | None = None,
        jwks_refetch_cooldown_s: float = 30.0,
    ) -> None:
        self._clients = dict(clients)
        self._replay = replay
        self._leeway_s = leeway_s
        self._static_keys = {
            iss: _index_jwks(client.jwks) for iss, client in self._clients.items() if client.jwks
        }
        self._jwks = JwksCache(
            cache_s=jwks_cache_s,
            timeout_s=http_timeout_s,
            ca_bundle=ca_bundle,
            cooldown_s=jwks_refetch_cooldown_s,
        )

    def verify(self, authorization_header: str | None, audience: str) -> TrustedClient:
        """Return the authenticated client, or raise AuthError."""
        token = _bearer_token(authorization_header)
        header = _checked_header(token)
        client = self._client_for(token)
        key = self._key_for(client, header)
        claims = self._decode(token, key, header["alg"], client)
        _check_audience(claims["aud"], audience)
        exp = self._check_times(claims)
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
            raise AuthError("jti is not a usable string")
        # Kept past exp by the leeway: a token accepted late must stay unreplayable meanwhile.
        expires_at = datetime.fromtimestamp(exp + self._leeway_s, UTC)
        if not self._replay.remember_jti(client.iss, jti, expires_at):
            raise AuthError(f"replayed jti (iss {client.iss!r})")
        return client

    def keys_ready(self) -> dict[str, bool]:
        """Per trusted issuer: are its signing keys loaded (inline, or fetched and fresh)?"""
        return {
            iss: self._jwks.ready(client.jwks_uri)
            if client.jwks_uri is not None
            else bool(self._static_keys.get(iss))
            for iss, client in self._clients.items()
        }

    def _client_for(self, token: str) -> TrustedClient:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token payload ({type(exc).__name__})") from None
        iss = unverified.get("iss")
        if not isinstance(iss, str) or not iss:
            raise AuthError("token has no iss")
        client = self._clients.get(iss)
        if client is None:
            raise AuthError(f"untrusted iss {iss[:120]!r}")
        return client

    def _key_for(self, client: TrustedClient, header: Mapping[str, Any]) -> jwt.PyJWK:
        alg, kid = header["alg"], header["kid"]
        jku = header.get("jku")
        if jku is not None and (client.jwks_uri is None or jku != client.jwks_uri):
            raise AuthError(f"jku not allowlisted for iss {client.iss!r}")
        if client.jwks_uri is not None:
            candidates = self._jwks.keys(client.jwks_uri, kid)
        else:
            candidates = self._static_keys.get(client.iss, {}).get(kid, [])
        if not candidates:
            raise AuthError(f"unknown kid (iss {client.iss!r})")
        for jwk in candidates:
            key = public_key(jwk, alg)
            if key is not None:
                return key
        raise AuthError(f"kid has no key usable with {alg} (iss {client.iss!r})")

    def _decode(
        self, token: str, key: jwt.PyJWK, alg: str, client: TrustedClient
    ) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=client.iss,
                leeway=self._leeway_s,
                # aud is checked by _check_audience (trailing-slash tolerant, string or array).
                options={
                    "require": REQUIRED_CLAIMS,
                    "verify_aud": False,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.ExpiredSignatureError:
            raise AuthError(f"token expired (iss {client.iss!r})") from None
        except jwt.ImmatureSignatureError:
            raise AuthError(f"token not yet valid (iss {client.iss!r})") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"token lacks {exc.claim} (iss {client.iss!r})") from None
        except jwt.InvalidSignatureError:
            raise AuthError(f"bad signature (iss {client.iss!r})") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {type(exc).__name__} (iss {client.iss!r})") from None

    def _check_times(self, claims: Mapping[str, Any]) -> float:
        exp, iat = claims["exp"], claims["iat"]
        if not _is_number(exp) or not _is_number(iat):
            raise AuthError("exp/iat are not numeric dates")
        if iat > time.time() + self._leeway_s:
            raise AuthError("iat is in the future")
        if exp - iat > MAX_LIFETIME_S:
            raise AuthError(f"token lifetime over {MAX_LIFETIME_S} s")
        return float(exp)


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header:
        raise AuthError("missing Authorization header")
    if len(authorization_header) > MAX_TOKEN_CHARS + 16:
        raise AuthError("token too large")
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthError("Authorization is not a Bearer token")
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise AuthError("token empty or too large")
    if token.count(".") != 2 or any(c.isspace() for c in token):
        raise AuthError("token is not a compact JWS")
    return token


def _checked_header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        # PyJWT's header messages name the problem (padding, crit, kid type), never claims.
        raise AuthError(f"malformed token header: {str(exc)[:80]}") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise AuthError(f"alg {str(alg)[:16]!r} not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_CHARS:
        raise AuthError("token header has no usable kid")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
        raise AuthError("token typ is not JWT")
    if "crit" in header:
        raise AuthError("crit header extensions are not supported")
    if "jku" in header and not isinstance(header["jku"], str):
        raise AuthError("jku is not a string")
    return header


def _check_audience(aud: Any, expected: str) -> None:
    values = [aud] if isinstance(aud, str) else aud
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AuthError("aud is neither a string nor an array of strings")
    wanted = expected.rstrip("/")
    if not any(value.rstrip("/") == wanted for value in values):
        raise AuthError("aud does not match this endpoint")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _index_jwks(jwks: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Keys of a JWKS grouped by kid (a kid may be reused across key types)."""
    indexed: dict[str, list[dict[str, Any]]] = {}
    keys = jwks.get("keys")
    for jwk in keys if isinstance(keys, list) else []:
        if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str):
            indexed.setdefault(jwk["kid"], []).append(jwk)
    return indexed


def public_key(jwk: Mapping[str, Any], alg: str) -> jwt.PyJWK | None:
    """The verification key for `alg` built from the JWK's public members, or None if unsuitable.

    Only public parameters are copied, so a JWKS that leaks private members cannot smuggle a
    private key in, and the key is bound to the token's (already allowlisted) algorithm.
    """
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
        return None
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        return None
    if alg == "ES384" and jwk.get("kty") == "EC" and jwk.get("crv") == "P-384":
        members = {"kty": "EC", "crv": "P-384", "x": jwk.get("x"), "y": jwk.get("y")}
    elif alg == "RS384" and jwk.get("kty") == "RSA":
        members = {"kty": "RSA", "n": jwk.get("n"), "e": jwk.get("e")}
    else:
        return None
    if not all(isinstance(value, str) for value in members.values()):
        return None
    try:
        key = jwt.PyJWK(members, algorithm=alg)
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
        return None
    if alg == "RS384" and key.key.key_size < MIN_RSA_BITS:
        return None
    return key


class JwksFetchError(Exception):
    """A JWKS URL could not be fetched or parsed; `reason` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _CachedJwks:
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fetched_at: float = _NEVER  # last successful fetch
    failed_at: float = _NEVER  # last failed fetch (fetches back off for the cooldown)
    kid_refetch_at: float = _NEVER  # last refetch triggered by an unknown kid


class JwksCache:
    """Keys from allowlisted JWKS URLs: cached, refreshed on expiry and on key rotation.

    An unknown kid triggers at most one refetch per cooldown, so a flood of made-up kids cannot
    turn the service into a request amplifier; failed fetches back off for the same cooldown.
    Stale keys stay usable for up to an hour when the JWKS host is briefly unreachable.
    """

    def __init__(
        self,
        *,
        cache_s: float,
        timeout_s: float,
        ca_bundle: str | None,
        cooldown_s: float,
        max_stale_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache_s = cache_s
        self._timeout_s = timeout_s
        self._verify: str | bool = ca_bundle or True
        self._cooldown_s = cooldown_s
        self._max_stale_s = max_stale_s
        self._clock = clock
        self._entries: dict[str, _CachedJwks] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def keys(self, uri: str, kid: str) -> list[dict[str, Any]]:
        """The JWKs published under `kid` at `uri` (empty if none), fetching when needed."""
        with self._lock_for(uri):
            entry = self._entries.setdefault(uri, _CachedJwks())
            now = self._clock()
            may_fetch = now - entry.failed_at >= self._cooldown_s
            attempted = False
            if may_fetch and now - entry.fetched_at >= self._cache_s:
                self._refresh(uri, entry, now)
                attempted = True
            if (
                kid not in entry.keys
                and may_fetch
                and not attempted
                and now - entry.kid_refetch_at >= self._cooldown_s
            ):
                entry.kid_refetch_at = now
                self._refresh(uri, entry, now)
            if now - entry.fetched_at >= self._cache_s + self._max_stale_s:
                raise AuthError("JWKS unavailable")
            return list(entry.keys.get(kid, []))

    def ready(self, uri: str) -> bool:
        """True when keys from `uri` are at hand (fetched now if the cache is empty or expired,
        within the same cooldown as verification); for readiness probes."""
        with self._lock_for(uri):
            entry = self._entries.setdefault(uri, _CachedJwks())
            now = self._clock()
            if (
                now - entry.fetched_at >= self._cache_s
                and now - entry.failed_at >= self._cooldown_s
            ):
                self._refresh(uri, entry, now)
            return bool(entry.keys) and now - entry.fetched_at < self._cache_s + self._max_stale_s

    def fetch(self, uri: str) -> dict[str, Any]:
        """One uncached download of the JWKS at `uri` with the service's limits (check-config);
        JwksFetchError names what went wrong."""
        return self._fetch(uri)

    def _lock_for(self, uri: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(uri, threading.Lock())

    def _refresh(self, uri: str, entry: _CachedJwks, now: float) -> None:
        try:
            entry.keys = _index_jwks(self._fetch(uri))
        except JwksFetchError as exc:
            entry.failed_at = now
            log.warning("JWKS fetch failed", extra={"jwks_uri": uri, "reason": exc.reason})
            return
        entry.fetched_at = now

    def _fetch(self, uri: str) -> dict[str, Any]:
        if not uri.startswith("https://"):
            raise JwksFetchError("JWKS URL is not https")
        # One deadline for the whole download: requests' timeout bounds each socket read only,
        # so a host dripping its headers or body would otherwise hold the per-URL lock for as
        # long as it likes. No proxies or .netrc credentials from the environment either.
        deadline = Deadline(time.monotonic() + self._timeout_s * 2)
        body = bytearray()
        try:
            with (
                deadline.watched(),
                new_session(pool_size=1) as session,
                session.get(
                    uri,
                    timeout=self._timeout_s,
                    allow_redirects=False,
                    verify=self._verify,
                    stream=True,
                    headers={"Accept": "application/json"},
                ) as response,
            ):
                if 300 <= response.status_code < 400:
                    raise JwksFetchError(f"redirect ({response.status_code}) not followed")
                if response.status_code != 200:
                    raise JwksFetchError(f"HTTP {response.status_code}")
                while chunk := response.raw.read1(8192, decode_content=True):
                    body.extend(chunk)
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksFetchError("JWKS response too large")
                    if deadline.remaining() <= 0:
                        raise JwksFetchError("JWKS response too slow")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.expired:
                raise JwksFetchError("JWKS response too slow") from None
            raise JwksFetchError(f"request failed ({type(exc).__name__})") from None
        try:
            document = json.loads(bytes(body))
        except ValueError:
            raise JwksFetchError("JWKS is not JSON") from None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise JwksFetchError("JWKS has no keys array")
        return document
