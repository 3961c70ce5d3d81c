"""The simulated EHR's signing key: ES384 JWTs for CDS service calls, and their JWKS.

An EHR signs every call to a CDS service (iss = the EHR, aud = the exact URL called, exp = 5 min,
a fresh jti) and publishes its public keys. The key is generated when the simulator starts and
never written to disk: restart the simulator and old tokens stop verifying, as they should.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES384"
LIFETIME_S = 300
MAX_AUDIENCE_CHARS = 2048


class TokenSigner:
    """Mints CDS client JWTs with one freshly generated P-384 key."""

    def __init__(self, issuer: str, kid: str | None = None) -> None:
        self.issuer = issuer
        self.kid = kid or f"gist-sandbox-{uuid.uuid4().hex[:12]}"
        self._key = ec.generate_private_key(ec.SECP384R1())

    def mint(self, audience: str, *, now: int | None = None) -> str:
        """A token for one call to `audience` (the service URL, exactly as it will be called)."""
        issued = int(time.time()) if now is None else now
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "iat": issued,
            "exp": issued + LIFETIME_S,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.kid, "typ": "JWT", "jku": self.issuer + "/.well-known/jwks.json"}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers=headers)

    def jwks(self) -> dict[str, Any]:
        """The public key set a CDS service fetches to verify these tokens."""
        public: dict[str, Any] = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}
