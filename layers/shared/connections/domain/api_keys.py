"""API keys: ``txadv_`` plus 32 random bytes, stored only as a SHA-256 digest with org and scopes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from connections.domain.access import Scope

API_KEY_PREFIX = "txadv_"
MAX_API_KEYS_PER_ORG = 25
_RANDOM_BYTES = 32


def generate_api_key() -> str:
    """A new key; the caller sees it once, the store keeps only its digest."""
    return API_KEY_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def api_key_digest(key: str) -> str:
    """The lookup digest of a key (a fast hash is right here: keys carry 256 bits of randomness)."""
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX)


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from ``sync,activations``; unknown names are refused."""
    names = frozenset(part.strip() for part in text.replace(" ", ",").split(",") if part.strip())
    known = {scope.value for scope in Scope}
    unknown = sorted(names - known)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return names


@dataclass(frozen=True)
class ApiKey:
    """A stored key: everything but the key itself."""

    key_id: str
    org_id: str
    name: str
    scopes: frozenset[str]
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why this key may not be used at ``now``, or None when it is valid."""
        if self.revoked_at:
            return "API key has been revoked"
        if self.expires_at and datetime.fromisoformat(self.expires_at.replace("Z", "+00:00")) <= now.astimezone(UTC):
            return "API key has expired"
        return None
