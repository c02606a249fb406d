"""A SessionVerifier that accepts one token and answers fixed claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connections.domain.errors import Unauthenticated
from connections.ports.session_verifier import SessionClaims

if TYPE_CHECKING:
    from connections.ports.session_verifier import SessionVerifier

VALID_TOKEN = "good.jwt.token"


class FixedSessions:
    def __init__(self, claims: SessionClaims, token: str = VALID_TOKEN) -> None:
        self.claims = claims
        self._token = token

    def verify(self, token: str) -> SessionClaims:
        if token != self._token:
            raise Unauthenticated("Invalid session token")
        return self.claims


if TYPE_CHECKING:
    _: SessionVerifier = FixedSessions(SessionClaims("user", None, None))
