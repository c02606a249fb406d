"""API keys: ``txadv_`` plus 32 random bytes, stored only as a SHA-256 digest with org and scopes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connections.domain.access import Scope
from connections.domain.clock import format_timestamp

API_KEY_PREFIX = "txadv_"
MAX_API_KEYS_PER_ORG = 25
MAX_NAME_LENGTH = 100
_RANDOM_BYTES = 32
# What a listing shows of a key so its owner can tell keys apart: the type prefix and 4 characters of
# the random part (24 of its 256 bits; the other 232 keep it unguessable).
DISPLAY_PREFIX_LENGTH = len(API_KEY_PREFIX) + 4
# lastUsedAt is written at most once per interval per key: a write on every request would double
# the cost of an API-key request and make one hot key a hot item.
LAST_USED_INTERVAL = timedelta(seconds=60)


def generate_api_key() -> str:
    """A new key; the caller sees it once, the store keeps only its digest."""
    return API_KEY_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def api_key_digest(key: str) -> str:
    """The lookup digest of a key (a fast hash is right here: keys carry 256 bits of randomness)."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """The non-secret start of a key that its record shows."""
    return key[:DISPLAY_PREFIX_LENGTH]


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


def parse_timestamp(text: str) -> datetime:
    """An aware datetime from an API timestamp (``...Z`` or an explicit offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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
    prefix: str = API_KEY_PREFIX
    last_used_at: str | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why this key may not be used at ``now``, or None when it is valid."""
        if self.revoked_at:
            return "API key has been revoked"
        if self.expires_at and parse_timestamp(self.expires_at) <= now.astimezone(UTC):
            return "API key has expired"
        return None

    def use_is_due(self, now: datetime) -> bool:
        """Whether a use at ``now`` should be recorded (lastUsedAt missing or older than the interval)."""
        return self.last_used_at is None or parse_timestamp(self.last_used_at) < now - LAST_USED_INTERVAL

    def to_response(self) -> dict[str, Any]:
        """The record as the API shows it: never the key, never its digest."""
        return {
            "id": self.key_id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": sorted(self.scopes),
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
            "lastUsedAt": self.last_used_at,
            "revokedAt": self.revoked_at,
        }


def use_cutoff(now: datetime) -> str:
    """The lastUsedAt before which a use at ``now`` is written (the store's condition)."""
    return format_timestamp(now - LAST_USED_INTERVAL)
