"""`gist-cds token`: short-lived CDS-client JWTs from a local private key, for smoke tests and
trying the service with auth on. TEST ONLY: a real EHR signs its own tokens; a key file made here
belongs on a developer's machine, never in a trusted-clients file of a production service."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm

from cds_hooks.auth import MAX_LIFETIME_S
from cds_hooks.config import ConfigError

DEFAULT_LIFETIME_S = 300


def new_client(path: Path, iss: str) -> dict[str, Any]:
    """Write a fresh ES384 key file (0600) and return the trusted-clients entry for it."""
    key = ec.generate_private_key(ec.SECP384R1())
    kid = f"test-{uuid.uuid4().hex[:12]}"
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    document = {"iss": iss, "kid": kid, "alg": "ES384", "private_key": pem}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    public = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk = {**public, "kid": kid, "alg": "ES384", "use": "sig"}
    return {"iss": iss, "jwks": {"keys": [jwk]}, "fhir_servers": []}


def mint(path: Path, audience: str, lifetime_s: int = DEFAULT_LIFETIME_S) -> str:
    """A signed JWT for `audience` (the exact URL to call) with a fresh jti."""
    if not 0 < lifetime_s <= MAX_LIFETIME_S:
        raise ConfigError(f"--lifetime must be between 1 and {MAX_LIFETIME_S} seconds")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"client key file {path} cannot be read: {exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"client key file {path} is not JSON") from None
    if not isinstance(document, dict) or not all(
        isinstance(document.get(name), str) for name in ("iss", "kid", "alg", "private_key")
    ):
        raise ConfigError(f"client key file {path} needs string iss, kid, alg and private_key")
    alg = document["alg"]
    key = serialization.load_pem_private_key(document["private_key"].encode(), password=None)
    expected = ec.EllipticCurvePrivateKey if alg == "ES384" else rsa.RSAPrivateKey
    if alg not in ("ES384", "RS384") or not isinstance(key, expected):
        raise ConfigError(f"client key file {path}: alg must be ES384 (EC P-384) or RS384 (RSA)")
    now = int(time.time())
    claims = {
        "iss": document["iss"],
        "aud": audience,
        "iat": now,
        "exp": now + lifetime_s,
        "jti": str(uuid.uuid4()),
    }
    headers = {"kid": document["kid"], "typ": "JWT"}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)
