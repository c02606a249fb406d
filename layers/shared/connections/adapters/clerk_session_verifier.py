"""SessionVerifier for Clerk session JWTs (RS256), against a JWKS URL or a PEM public key.

Clerk v2 tokens carry the active organisation as ``o.id`` / ``o.rol``; v1 tokens as ``org_id`` /
``org_role``. Both are read; the role is passed on as the token spells it (``admin`` in v2,
``org:admin`` in v1) and mapped onto the application's roles in ``domain/access.py``.
"""

from __future__ import annotations

from typing import Any

import jwt
from jwt import PyJWKClient

from connections.domain.errors import Unauthenticated
from connections.ports.session_verifier import SessionClaims

LEEWAY_SECONDS = 5
JWKS_CACHE_SECONDS = 3600
JWKS_FETCH_TIMEOUT_SECONDS = 3


class ClerkSessionVerifier:
    """Verifies signature, expiry, not-before, authorised party and (when configured) issuer."""

    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        public_key_pem: str | None = None,
        authorized_parties: tuple[str, ...] = (),
        issuer: str | None = None,
    ) -> None:
        if not jwks_url and not public_key_pem:
            raise ValueError("a JWKS URL or a PEM public key is required")
        self._pem = public_key_pem.replace("\\n", "\n") if public_key_pem else None
        # PyJWKClient caches the key set and picks the key by the token's `kid`.
        self._jwks = (
            PyJWKClient(jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS, timeout=JWKS_FETCH_TIMEOUT_SECONDS)
            if jwks_url and not self._pem
            else None
        )
        self._authorized_parties = authorized_parties
        self._issuer = issuer

    def verify(self, token: str) -> SessionClaims:
        try:
            key: Any = self._pem if self._pem else self._signing_key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                leeway=LEEWAY_SECONDS,
                issuer=self._issuer,
                options={"require": ["exp", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Session token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("Invalid session token") from None
        authorized_party = claims.get("azp")
        if authorized_party and self._authorized_parties and authorized_party not in self._authorized_parties:
            raise Unauthenticated("Session token was issued to an unknown party")
        organisation: dict[str, Any] = claims["o"] if isinstance(claims.get("o"), dict) else {}
        org_id = organisation.get("id") or claims.get("org_id")
        role = organisation.get("rol") or claims.get("org_role")
        return SessionClaims(user_id=str(claims["sub"]), org_id=org_id, role=role if isinstance(role, str) else None)

    def _signing_key(self, token: str) -> Any:
        assert self._jwks is not None
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise Unauthenticated("Session could not be verified right now; retry") from None
