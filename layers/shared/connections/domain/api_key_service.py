"""Creating, listing and revoking an organisation's API keys (POST/GET/DELETE /api/keys, the dev CLI)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from connections.domain.api_keys import (
    MAX_API_KEYS_PER_ORG,
    ApiKey,
    api_key_digest,
    display_prefix,
    generate_api_key,
    parse_scopes,
    parse_timestamp,
)
from connections.domain.clock import format_timestamp
from connections.domain.errors import FieldProblem, InvalidInput, NotFound
from connections.domain.identifiers import API_KEY_PREFIX, is_valid_id, new_id
from connections.ports.api_key_repository import ApiKeyRepository

if TYPE_CHECKING:
    from connections.domain.api_key_requests import CreateApiKeyRequest


class ApiKeyService:
    def __init__(self, repository: ApiKeyRepository, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._repository = repository
        self._clock = clock

    def create(self, org_id: str, request: CreateApiKeyRequest) -> tuple[str, ApiKey]:
        """A new key for POST /api/keys (shown once) and its record; its expiry must lie ahead."""
        expires_at = None
        if request.expires_at is not None:
            expires_at = self._future_timestamp(request.expires_at)
        return self._issue(org_id, request.name, frozenset(scope.value for scope in request.scopes), expires_at)

    def issue(self, org_id: str, name: str, scopes: str, expires_at: str | None = None) -> tuple[str, ApiKey]:
        """A new key from a comma-separated scope list (the dev stack and tests; any expiry, past ones too)."""
        try:
            scope_set = parse_scopes(scopes)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        return self._issue(org_id, name, scope_set, expires_at)

    def list_keys(self, org_id: str) -> list[ApiKey]:
        """The organisation's keys, newest first, revoked and expired ones included."""
        return self._repository.list_keys(org_id)

    def revoke(self, org_id: str, key_id: str) -> ApiKey:
        """Revoke a key at once; revoking it again answers the same record (NotFound for another org's id)."""
        if not is_valid_id(key_id, API_KEY_PREFIX):
            raise NotFound("API key not found")
        return self._repository.revoke(org_id, key_id, format_timestamp(self._clock()))

    def _issue(self, org_id: str, name: str, scopes: Iterable[str], expires_at: str | None) -> tuple[str, ApiKey]:
        plaintext = generate_api_key()
        api_key = ApiKey(
            new_id(API_KEY_PREFIX),
            org_id,
            name,
            frozenset(scopes),
            format_timestamp(self._clock()),
            expires_at,
            prefix=display_prefix(plaintext),
        )
        self._repository.add(api_key, api_key_digest(plaintext), MAX_API_KEYS_PER_ORG)
        return plaintext, api_key

    def _future_timestamp(self, text: str) -> str:
        try:
            moment = parse_timestamp(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            problem = "must be an ISO 8601 timestamp with a time zone, e.g. 2027-01-01T00:00:00.000Z"
            raise InvalidInput("Invalid request body", [FieldProblem("expiresAt", problem)])
        if moment <= self._clock():
            raise InvalidInput("Invalid request body", [FieldProblem("expiresAt", "must be in the future")])
        return format_timestamp(moment)
