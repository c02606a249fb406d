"""Storage of API keys by digest."""

from __future__ import annotations

from typing import Protocol

from connections.domain.api_keys import ApiKey


class ApiKeyRepository(Protocol):
    def find_by_digest(self, digest: str) -> ApiKey | None:
        """The key stored under this digest, or None."""
        ...

    def add(self, api_key: ApiKey, digest: str, max_per_org: int) -> None:
        """Store a new key within the organisation's limit (Conflict when full)."""
        ...

    def revoke(self, org_id: str, key_id: str, revoked_at: str) -> None:
        """Mark the key revoked (NotFound when the org has no such key)."""
        ...
