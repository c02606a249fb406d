"""An in-memory ApiKeyRepository keeping the rules of ``DynamoApiKeyRepository``: keys are found by
digest only, at most ``max_per_org`` unrevoked keys per organisation (revoking frees a slot, once), a
key is listed and revoked by id within its organisation, and lastUsedAt is written only when older
than the cutoff."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from connections.domain.api_keys import MAX_API_KEYS_PER_ORG, ApiKey
from connections.domain.errors import Conflict, NotFound

if TYPE_CHECKING:
    from connections.ports.api_key_repository import ApiKeyRepository


class InMemoryApiKeys:
    def __init__(self, keys: dict[str, ApiKey] | None = None) -> None:
        """``keys``: records to start with, by digest (counted against their organisations' limits)."""
        self._by_digest: dict[str, ApiKey] = {}
        self._digests: dict[tuple[str, str], str] = {}  # (org, key id) -> digest: the org-side reference
        self._counts: dict[str, int] = {}
        self.uses_recorded = 0
        for digest, api_key in (keys or {}).items():
            self.add(api_key, digest, MAX_API_KEYS_PER_ORG)

    def find_by_digest(self, digest: str) -> ApiKey | None:
        return self._by_digest.get(digest)

    def add(self, api_key: ApiKey, digest: str, max_per_org: int) -> None:
        if self._counts.get(api_key.org_id, 0) >= max_per_org:
            raise Conflict(
                f"API key limit reached: at most {max_per_org} active keys per organisation; revoke one first"
            )
        assert digest not in self._by_digest, "keys carry 256 random bits: digests never repeat"
        self._counts[api_key.org_id] = self._counts.get(api_key.org_id, 0) + 1
        self._by_digest[digest] = api_key
        self._digests[(api_key.org_id, api_key.key_id)] = digest

    def list_keys(self, org_id: str) -> list[ApiKey]:
        keys = [self._by_digest[digest] for (org, _), digest in self._digests.items() if org == org_id]
        return sorted(keys, key=lambda api_key: api_key.key_id, reverse=True)

    def revoke(self, org_id: str, key_id: str, revoked_at: str) -> ApiKey:
        digest = self._digests.get((org_id, key_id))
        if digest is None:
            raise NotFound("API key not found")
        current = self._by_digest[digest]
        if current.revoked_at:
            return current
        self._by_digest[digest] = replace(current, revoked_at=revoked_at)
        self._counts[org_id] -= 1
        return self._by_digest[digest]

    def record_use(self, digest: str, used_at: str, unless_used_since: str) -> None:
        current = self._by_digest.get(digest)
        if current is None or (current.last_used_at is not None and current.last_used_at >= unless_used_since):
            return
        self._by_digest[digest] = replace(current, last_used_at=used_at)
        self.uses_recorded += 1


if TYPE_CHECKING:
    _: ApiKeyRepository = InMemoryApiKeys()
