"""Storage of connections, their encrypted credentials and the per-organisation counter."""

from __future__ import annotations

from typing import Protocol

from connections.domain.connection import Connection
from connections.domain.idempotency import IdempotencyClaim
from connections.domain.platforms import ConnectionStatus


class ConnectionRepository(Protocol):
    def list_for_org(self, org_id: str) -> list[Connection]:
        """Every connection of the organisation, oldest first."""
        ...

    def get(self, org_id: str, connection_id: str) -> Connection | None:
        """The connection, or None when it does not exist in this organisation."""
        ...

    def create(
        self,
        connection: Connection,
        encrypted_credentials: bytes | None,
        max_per_org: int,
        idempotency: IdempotencyClaim | None = None,
    ) -> None:
        """Store a new connection and count it, atomically.

        Raises ConnectionLimitReached when the organisation already has ``max_per_org``, and
        IdempotentReplay when ``idempotency`` was already used (nothing is written then).
        """
        ...

    def replace(self, connection: Connection, expected_version: int, encrypted_credentials: bytes | None) -> None:
        """Overwrite the connection if it is still at ``expected_version`` (else ConcurrentModification).

        ``encrypted_credentials`` None keeps the stored ciphertext; bytes replace it.
        """
        ...

    def record_test_result(
        self, connection: Connection, tested_at: str, status: ConnectionStatus, error: str | None
    ) -> None:
        """Store the outcome of a connection test (a connection deleted meanwhile is left deleted)."""
        ...

    def delete(self, connection: Connection) -> None:
        """Remove the connection with its credentials, free its slot and cancel its running sync
        (NotFound if it is already gone)."""
        ...

    def get_encrypted_credentials(self, org_id: str, connection_id: str) -> bytes | None:
        """The stored credential ciphertext, or None."""
        ...
