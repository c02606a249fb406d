"""The request bodies that create and change a connection: pydantic models, in a module of their own so
that what only reads connections (get, delete, list, the sync and push services) does not import
pydantic with the record. The list's query parameters are in list_filters.py, without pydantic."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from connections.domain.platforms import Direction, Platform
from connections.domain.strict_body import StrictBody

ConnectionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
CredentialValue = Annotated[str, StringConstraints(min_length=1, max_length=8192)]


class CreateConnectionRequest(StrictBody):
    name: ConnectionName
    platform: Platform
    direction: Direction
    config: dict[str, Any]
    credentials: dict[str, CredentialValue] | None = None


class UpdateConnectionRequest(StrictBody):
    name: ConnectionName | None = None
    platform: Platform | None = None
    direction: Direction | None = None
    config: dict[str, Any] | None = None
    credentials: dict[str, CredentialValue] | None = None
