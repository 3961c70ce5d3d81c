"""Keys, JWKS documents and CDS-client JWTs for tests (shared by every test suite).

Tokens are shaped like the ones the CDS Hooks sandbox and Inferno send: header alg/kid/typ
(optional jku), claims iss/aud/exp/iat/jti. Helpers can also forge the malformed and hostile
tokens the attack tests need (alg none, HMAC with a public key, missing claims).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

TEST_ISSUER = "https://ehr.example.test/cds-client"
OMIT: Any = object()  # value in extra_headers / extra_claims: drop that member from the token


@dataclass(frozen=True)
class SigningKey:
    """A private signing key with the kid and alg it is published under."""

    kid: str
    alg: str  # "ES384" | "RS384"
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclass(frozen=True)
class TestKeys:
    """The session's default EC P-384 (ES384) and RSA-2048 (RS384) keys."""

    ec: SigningKey
    rsa: SigningKey

    def for_alg(self, alg: str) -> SigningKey:
        return self.rsa if alg.startswith("RS") else self.ec

    def __iter__(self) -> Any:
        return iter((self.ec, self.rsa))


def new_key(alg: str = "ES384", kid: str | None = None) -> SigningKey:
    """A fresh key pair (for wrong-key and key-rotation tests)."""
    kid = kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}"
    if alg.startswith("RS"):
        return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return SigningKey(kid, alg, ec.generate_private_key(ec.SECP384R1()))


@functools.cache
def make_keys() -> TestKeys:
    """Generated once per test session (RSA key generation is slow)."""
    return TestKeys(ec=new_key("ES384", "test-ec-1"), rsa=new_key("RS384", "test-rsa-1"))


def jwks_for(keys: TestKeys | Iterable[SigningKey]) -> dict[str, Any]:
    """The public JWKS a client would publish for these keys."""
    return {"keys": [key.public_jwk() for key in keys]}


def client_entry(
    iss: str = TEST_ISSUER,
    *,
    jwks: Mapping[str, Any] | None = None,
    jwks_uri: str | None = None,
    fhir_servers: Sequence[str] = (),
) -> dict[str, Any]:
    """One trusted-clients file entry; a static JWKS of the session keys unless told otherwise."""
    entry: dict[str, Any] = {"iss": iss, "fhir_servers": list(fhir_servers)}
    if jwks_uri is not None:
        entry["jwks_uri"] = jwks_uri
    else:
        entry["jwks"] = dict(jwks) if jwks is not None else jwks_for(make_keys())
    return entry


def write_trusted_clients(path: str | Path, clients: Sequence[Mapping[str, Any]]) -> str:
    """Write a `GIST_CDS_TRUSTED_CLIENTS` file and return its path."""
    Path(path).write_text(json.dumps(list(clients), indent=2), encoding="utf-8")
    return str(path)


def mint(
    iss: str,
    aud: str | Sequence[str],
    *,
    alg: str = "ES384",
    kid: str | None = None,
    jti: str | None = None,
    exp_in: int = 300,
    iat: int | None = None,
    extra_headers: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    key: SigningKey | bytes | None = None,
) -> str:
    """A compact JWT; `alg` "none" and HS* are signed by hand (PyJWT refuses to forge them)."""
    now = int(time.time())
    signing_key = key
    if signing_key is None and alg.startswith(("ES", "RS")):
        signing_key = make_keys().for_alg(alg)
    default_kid = signing_key.kid if isinstance(signing_key, SigningKey) else "test-kid"
    header: dict[str, Any] = {"alg": alg, "typ": "JWT", "kid": kid or default_kid}
    claims: dict[str, Any] = {
        "iss": iss,
        "aud": aud if isinstance(aud, str) else list(aud),
        "iat": now if iat is None else iat,
        "exp": now + exp_in,
        "jti": jti or str(uuid.uuid4()),
    }
    _merge(header, extra_headers)
    _merge(claims, extra_claims)
    if isinstance(signing_key, SigningKey):
        fields = {k: v for k, v in header.items() if k != "alg"}
        fields.setdefault("typ", None)  # PyJWT adds typ=JWT unless told None
        # PyJWS signs the payload bytes as given, so malformed claims (iss: []) can be minted.
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jwt.api_jws.encode(payload, signing_key.private_key, algorithm=alg, headers=fields)
    return _forge(header, claims, signing_key)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def _merge(target: dict[str, Any], extra: Mapping[str, Any] | None) -> None:
    for name, value in (extra or {}).items():
        if value is OMIT:
            target.pop(name, None)
        else:
            target[name] = value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _forge(header: Mapping[str, Any], claims: Mapping[str, Any], secret: bytes | None) -> str:
    """Unsigned (alg none) or HMAC-signed tokens, byte for byte as an attacker would send."""
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    alg = str(header.get("alg", ""))
    if alg.upper().startswith("HS"):
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384}.get(alg, hashlib.sha512)
        signature = hmac.new(secret or b"", signing_input.encode(), digest).digest()
        return signing_input + "." + _b64(signature)
    return signing_input + "."
