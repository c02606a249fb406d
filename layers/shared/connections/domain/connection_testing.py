"""POST /api/connections/{id}/test: prove a connection works, inside the caller's deadline.

Always answers (the HTTP status is 200 either way): ``{"success": true, ...}`` or
``{"success": false, "error": "<what went wrong, without secrets>"}``; records the outcome on the
connection (``lastTestedAt``, ``status``, ``lastError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connections.domain.access import Caller
from connections.domain.clock import utc_now
from connections.domain.connection import Connection
from connections.domain.credential_redaction import CredentialRedactor
from connections.domain.deadline import Deadline
from connections.domain.errors import CredentialsUnreadable, NotFound
from connections.domain.field_mapping import map_item
from connections.domain.identifiers import CONNECTION_PREFIX, is_valid_id
from connections.domain.outbound_errors import OutboundError
from connections.domain.platforms import ConnectionStatus
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.platforms import PlatformClients
from connections.profiles.registry import profile_of

MAX_SAMPLE_BYTES = 8 * 1024
UNREADABLE_CREDENTIALS = "Stored credentials could not be read; enter the credentials again"


def sample_preview(item: Any) -> Any:
    """The sample item as returned, or only its top-level scalar fields when it is large."""
    if len(json.dumps(item, default=str)) <= MAX_SAMPLE_BYTES or not isinstance(item, dict):
        return item
    return {key: value for key, value in item.items() if isinstance(value, str | int | float | bool) or value is None}


class ConnectionTester:
    """Runs the platform check of one connection and records its outcome."""

    def __init__(
        self,
        repository: ConnectionRepository,
        credentials: Callable[[Connection], dict[str, str]],
        platforms: PlatformClients,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._repository = repository
        self._credentials = credentials  # decrypts; raises CredentialsUnreadable for a foreign ciphertext
        self._platforms = platforms
        self._clock = clock

    def test(self, caller: Caller, connection_id: str, deadline: Deadline) -> dict[str, Any]:
        connection = (
            self._repository.get(caller.org_id, connection_id)
            if is_valid_id(connection_id, CONNECTION_PREFIX)
            else None
        )
        if connection is None:
            raise NotFound("Connection not found")
        credentials: dict[str, str] = {}
        try:
            credentials = self._credentials(connection)
            result = self._check(connection, credentials, deadline)
        except OutboundError as failure:
            result = {"success": False, "error": failure.message}
        except CredentialsUnreadable:
            result = {"success": False, "error": UNREADABLE_CREDENTIALS}
        # The platform clients redact what they return; the answer as a whole is checked once more,
        # since it is the one place where a platform's text is shown straight back to a caller.
        result = CredentialRedactor(credentials).value(result)
        status = ConnectionStatus.ACTIVE if result["success"] else ConnectionStatus.ERROR
        self._repository.record_test_result(connection, self._clock(), status, result.get("error"))
        return result

    def _check(self, connection: Connection, credentials: dict[str, str], deadline: Deadline) -> dict[str, Any]:
        result: dict[str, Any] = {"success": True}
        if connection.direction.pulls:
            result |= self._check_source(connection, credentials, deadline)
        if connection.direction.pushes:
            destination = self._platforms.destination(
                connection.platform.value, connection.config, credentials, connection.id
            )
            result["message"] = destination.test(deadline)
        return result

    def _check_source(self, connection: Connection, credentials: dict[str, str], deadline: Deadline) -> dict[str, Any]:
        source = self._platforms.source(connection.platform.value, connection.config, credentials)
        page = source.fetch_page(0, 1, deadline)
        if not page.items:
            name = profile_of(connection.platform).display_name
            return {"itemCount": 0, "sampleItem": None, "message": f"Connected to {name} API; it returned no items"}
        sample = page.items[0]
        mapped = map_item(sample, connection.config.get("field_mappings"))
        checked: dict[str, Any] = {"itemCount": 1, "sampleItem": sample_preview(sample), "mappedItem": mapped.fields}
        if page.total is not None:
            checked["totalItems"] = page.total
        if mapped.problems:
            checked["warnings"] = mapped.problems
        return checked
