"""Clerk-shaped session JWTs signed with a test key pair."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class SessionTokenIssuer:
    """Signs v2 Clerk session tokens; ``public_pem`` goes into CLERK_JWT_KEY."""

    def __init__(self, kid: str = "test-key") -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid
        self.public_pem = (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def token(
        self,
        org: str | None = "org_a",
        *,
        user_id: str = "user_1",
        role: str = "admin",
        ttl_seconds: int = 600,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": user_id,
            "sid": f"sess_{uuid.uuid4().hex[:12]}",
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "azp": "http://localhost:3000",
            "v": 2,
        }
        if org:
            payload["o"] = {"id": org, "rol": role, "slg": org}
        payload.update(claims)
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})
