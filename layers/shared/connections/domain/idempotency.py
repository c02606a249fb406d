"""Idempotency-Key handling: a retried create returns what the first one made, and does nothing else."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from connections.domain.errors import Conflict, InvalidInput

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


@dataclass(frozen=True)
class IdempotencyClaim:
    """A caller's Idempotency-Key for one operation, with a fingerprint of the request it came with."""

    operation: str
    key: str
    fingerprint: str


class IdempotentReplay(Exception):
    """The key was used before; carries the id of what the first request produced."""

    def __init__(self, result_id: str, fingerprint: str) -> None:
        super().__init__(result_id)
        self.result_id = result_id
        self.fingerprint = fingerprint


def claim_from_header(operation: str, header_value: str | None, request: Any) -> IdempotencyClaim | None:
    """Build a claim from the Idempotency-Key header, or None when the caller sent none.

    ``request`` is the part of the body that must match on a retry; callers leave secrets out of it.
    """
    if header_value is None:
        return None
    if not _KEY_PATTERN.fullmatch(header_value):  # not match: "$" would let a trailing newline through
        raise InvalidInput("Idempotency-Key must be 8-128 characters of letters, digits, '_', '-', '.', ':'")
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return IdempotencyClaim(operation, header_value, hashlib.sha256(canonical.encode()).hexdigest())


def ensure_same_request(claim: IdempotencyClaim, replay: IdempotentReplay) -> str:
    """The earlier result's id, if the retry carries the same request; else a 409."""
    if replay.fingerprint != claim.fingerprint:
        raise Conflict("Idempotency-Key was already used with a different request")
    return replay.result_id
