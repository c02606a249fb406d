"""The base of every request body and query model: strict types, unknown fields refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictBody(BaseModel):
    # strict: "2.5" is not a number and "true" is not a boolean; extra="forbid": unknown fields are a 400.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
