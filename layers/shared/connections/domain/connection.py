"""The connection record (the request bodies that create and change it: connection_requests.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from connections.domain.platforms import ConnectionStatus, Direction, Platform


@dataclass(frozen=True)
class Connection:
    """A stored connection. Credentials are not part of it: they live encrypted beside it."""

    id: str
    org_id: str
    name: str
    platform: Platform
    direction: Direction
    config: dict[str, Any]
    status: ConnectionStatus
    created_at: str
    updated_at: str
    last_tested_at: str | None = None
    last_error: str | None = None
    version: int = 1
    has_credentials: bool = False
    active_sync_run_id: str | None = None  # the running sync holding the connection, if any (never returned)
    active_push_run_id: str | None = None  # likewise for a running push

    def to_response(self) -> dict[str, Any]:
        """The full record as the API returns it (seed: List Connections)."""
        return {
            "id": self.id,
            "name": self.name,
            "platform": self.platform.value,
            "direction": self.direction.value,
            "config": self.config,
            "status": self.status.value,
            "lastTestedAt": self.last_tested_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def to_created_response(self) -> dict[str, Any]:
        """The short record returned by create (seed: Create a Connection, 201)."""
        return {
            "id": self.id,
            "name": self.name,
            "platform": self.platform.value,
            "direction": self.direction.value,
            "status": self.status.value,
            "createdAt": self.created_at,
        }

    def changed(self, **changes: Any) -> Connection:
        return replace(self, **changes)
