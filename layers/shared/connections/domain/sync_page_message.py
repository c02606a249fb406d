"""The message that hands one page of a scheduled sync run to a page worker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connections.domain.identifiers import CONNECTION_PREFIX, RUN_PREFIX, is_valid_id

MAX_ORG_ID_LENGTH = 128


class InvalidPageMessage(ValueError):
    """A queue message that is not a page message; it can never be processed."""


@dataclass(frozen=True)
class SyncPageMessage:
    """Page ``page`` of run ``run_id`` of a connection of ``org_id``."""

    org_id: str
    connection_id: str
    run_id: str
    page: int

    def to_body(self) -> str:
        """The message body: JSON with camelCase keys, like the API."""
        return json.dumps(
            {"orgId": self.org_id, "connectionId": self.connection_id, "runId": self.run_id, "page": self.page},
            separators=(",", ":"),
        )

    @classmethod
    def from_body(cls, body: str) -> SyncPageMessage:
        """Parse and check a message body (InvalidPageMessage when it is not one)."""
        try:
            values: Any = json.loads(body)
        except ValueError:
            raise InvalidPageMessage("body is not JSON") from None
        if not isinstance(values, dict):
            raise InvalidPageMessage("body is not a JSON object")
        org_id, connection_id, run_id, page = (values.get(key) for key in ("orgId", "connectionId", "runId", "page"))
        if not isinstance(org_id, str) or not 0 < len(org_id) <= MAX_ORG_ID_LENGTH:
            raise InvalidPageMessage("orgId is missing or too long")
        if not isinstance(connection_id, str) or not is_valid_id(connection_id, CONNECTION_PREFIX):
            raise InvalidPageMessage("connectionId is not a connection id")
        if not isinstance(run_id, str) or not is_valid_id(run_id, RUN_PREFIX):
            raise InvalidPageMessage("runId is not a run id")
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise InvalidPageMessage("page must be a positive integer")
        return cls(org_id, connection_id, run_id, page)

    def next_page(self) -> SyncPageMessage:
        """The message for the following page of the same run."""
        return SyncPageMessage(self.org_id, self.connection_id, self.run_id, self.page + 1)
