"""Verification of a signed-in user's session token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SessionClaims:
    user_id: str
    org_id: str | None
    role: str | None


class SessionVerifier(Protocol):
    def verify(self, token: str) -> SessionClaims:
        """The verified claims; raises Unauthenticated for any token that is not valid now."""
        ...
