"""The body of POST /api/keys: a pydantic model, apart from api_keys.py so that the authorizer, which
reads keys on every request, never imports pydantic."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from connections.domain.access import Scope
from connections.domain.api_keys import MAX_NAME_LENGTH
from connections.domain.strict_body import StrictBody

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)]
# Long enough for any ISO 8601 timestamp with an offset and fractional seconds.
Timestamp = Annotated[str, StringConstraints(max_length=40)]


class CreateApiKeyRequest(StrictBody):
    name: KeyName
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    expires_at: Timestamp | None = Field(default=None, alias="expiresAt")
