"""Storage of API keys by digest, with an organisation-side reference to count, list and revoke them."""

from __future__ import annotations

from typing import Protocol

from connections.domain.api_keys import ApiKey


class ApiKeyRepository(Protocol):
    def find_by_digest(self, digest: str) -> ApiKey | None:
        """The key stored under this digest, or None."""
        ...

    def add(self, api_key: ApiKey, digest: str, max_per_org: int) -> None:
        """Store a new key within the organisation's limit of active (unrevoked) keys (Conflict when full)."""
        ...

    def list_keys(self, org_id: str) -> list[ApiKey]:
        """The organisation's keys, newest first."""
        ...

    def revoke(self, org_id: str, key_id: str, revoked_at: str) -> ApiKey:
        """Mark the key revoked and free its slot, once; the record as revoked (NotFound when the org has no
        such key). Revoking a revoked key changes nothing and returns it as it is."""
        ...

    def record_use(self, digest: str, used_at: str, unless_used_since: str) -> None:
        """Set the key's lastUsedAt to ``used_at`` unless it is already ``unless_used_since`` or later
        (best effort: a failure never refuses the request)."""
        ...
