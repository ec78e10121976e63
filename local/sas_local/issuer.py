"""A local OIDC-like token issuer, standing in for Pro Santé Connect (and editors' credentials).

Its RSA key is made at start-up and lives only in memory. Tokens are verified as the HTTP API's JWT
authorizer verifies them in production: signature, issuer, audience and expiry.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from sas_common.auth import CLAIM_EDITOR, CLAIM_ROLE, CLAIM_STRUCTURE
from sas_common.errors import Unauthenticated

LOCAL_ISSUER = "http://127.0.0.1/_local/issuer"
LOCAL_AUDIENCE = "sas-platform-local"
ALGORITHM = "RS256"
TOKEN_LIFETIME_SECONDS = 3600


@dataclass
class LocalIssuer:
    issuer: str = LOCAL_ISSUER
    audience: str = LOCAL_AUDIENCE
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), repr=False
    )
    key_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def mint(
        self,
        *,
        role: str,
        sub: str,
        editor_id: str | None = None,
        structure_id: str | None = None,
        lifetime_seconds: int = TOKEN_LIFETIME_SECONDS,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "exp": now + lifetime_seconds,
            "jti": uuid.uuid4().hex,
            CLAIM_ROLE: role,
        }
        optional = {
            CLAIM_EDITOR: editor_id,
            CLAIM_STRUCTURE: structure_id,
        }
        claims.update({name: value for name, value in optional.items() if value})
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.key_id})

    def verify(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token is not valid: {exc}") from exc
        return claims
