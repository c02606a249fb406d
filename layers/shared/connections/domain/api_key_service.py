"""Issuing and revoking API keys (used by operators and the local dev CLI)."""

from __future__ import annotations

from connections.domain.api_keys import (
    MAX_API_KEYS_PER_ORG,
    ApiKey,
    api_key_digest,
    generate_api_key,
    parse_scopes,
)
from connections.domain.clock import utc_now
from connections.domain.errors import InvalidInput
from connections.domain.identifiers import API_KEY_PREFIX, new_id
from connections.ports.api_key_repository import ApiKeyRepository


class ApiKeyService:
    def __init__(self, repository: ApiKeyRepository) -> None:
        self._repository = repository

    def issue(self, org_id: str, name: str, scopes: str, expires_at: str | None = None) -> tuple[str, ApiKey]:
        """A new key (shown once) and its stored record."""
        try:
            scope_set = parse_scopes(scopes)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        api_key = ApiKey(new_id(API_KEY_PREFIX), org_id, name, scope_set, utc_now(), expires_at)
        plaintext = generate_api_key()
        self._repository.add(api_key, api_key_digest(plaintext), MAX_API_KEYS_PER_ORG)
        return plaintext, api_key

    def revoke(self, org_id: str, key_id: str) -> None:
        self._repository.revoke(org_id, key_id, utc_now())
