"""An in-memory ApiKeyRepository keeping the rules of ``DynamoApiKeyRepository``: keys are found by
digest only, at most ``max_per_org`` are ever added per organisation (revoking does not free a slot),
and a key is revoked by id within its organisation."""

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
        for digest, api_key in (keys or {}).items():
            self.add(api_key, digest, MAX_API_KEYS_PER_ORG)

    def find_by_digest(self, digest: str) -> ApiKey | None:
        return self._by_digest.get(digest)

    def add(self, api_key: ApiKey, digest: str, max_per_org: int) -> None:
        if self._counts.get(api_key.org_id, 0) >= max_per_org:
            raise Conflict(f"API key limit reached: at most {max_per_org} keys per organisation")
        assert digest not in self._by_digest, "keys carry 256 random bits: digests never repeat"
        self._counts[api_key.org_id] = self._counts.get(api_key.org_id, 0) + 1
        self._by_digest[digest] = api_key
        self._digests[(api_key.org_id, api_key.key_id)] = digest

    def revoke(self, org_id: str, key_id: str, revoked_at: str) -> None:
        digest = self._digests.get((org_id, key_id))
        if digest is None:
            raise NotFound("API key not found")
        self._by_digest[digest] = replace(self._by_digest[digest], revoked_at=revoked_at)


if TYPE_CHECKING:
    _: ApiKeyRepository = InMemoryApiKeys()
