"""How large a connection may be: its credentials in bytes, and its whole DynamoDB item within 400 KB.

A connection item holds the record (name, config, ...), the credential ciphertext and what the
repository adds (keys, run locks, ``lastError``). The record is measured exactly as DynamoDB counts
it; the ciphertext and the repository's attributes get fixed headroom, so that an update without
credentials (whose stored ciphertext is never read back) is checked the same way as a create.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from connections.domain.connection import Connection
from connections.domain.errors import FieldProblem
from connections.domain.storage_limits import MAX_ITEM_BYTES, item_bytes, text_bytes

MAX_CREDENTIAL_VALUE_BYTES = 8192
MAX_CREDENTIALS_BYTES = 16 * 1024  # all values of one set together
# The ciphertext of the largest set allowed: its JSON (``\u`` escapes make at most 3 bytes of each
# UTF-8 byte once control characters are refused: 16 KB of values and ten 64-byte names stay
# under 50 KB), plus the encryption SDK's header, wrapped data key and frame tags (under 2 KB).
# tests/integration/test_request_bounds.py encrypts the largest set with the real SDK against it.
CIPHERTEXT_HEADROOM_BYTES = 64 * 1024
# pk/sk (organisation ids are at most a few hundred bytes), activeSyncRunId, activePushRunId,
# lastError (500 characters, up to 2,000 bytes) and their names.
REPOSITORY_HEADROOM_BYTES = 8 * 1024
MAX_RECORD_BYTES = MAX_ITEM_BYTES - CIPHERTEXT_HEADROOM_BYTES - REPOSITORY_HEADROOM_BYTES


def credential_size_problems(credentials: Mapping[str, str]) -> list[FieldProblem]:
    """Credential values too large to store (in UTF-8 bytes), or holding control characters."""
    problems: list[FieldProblem] = []
    for key, value in credentials.items():
        if not isinstance(value, str):
            continue  # the shape check names it
        field = f"credentials.{key[:64]}"
        if any(unicodedata.category(char) == "Cc" for char in value):
            problems.append(FieldProblem(field, "must not contain control characters"))
        elif text_bytes(value) > MAX_CREDENTIAL_VALUE_BYTES:
            problems.append(FieldProblem(field, f"must be at most {MAX_CREDENTIAL_VALUE_BYTES} bytes (UTF-8)"))
    total = sum(text_bytes(value) for value in credentials.values() if isinstance(value, str))
    if not problems and total > MAX_CREDENTIALS_BYTES:
        problems.append(FieldProblem("credentials", f"must be at most {MAX_CREDENTIALS_BYTES} bytes (UTF-8) in all"))
    return problems


def stored_attributes(connection: Connection) -> dict[str, Any]:
    """The attributes a stored connection holds besides its keys (the repository writes exactly these)."""
    return {
        "id": connection.id,
        "orgId": connection.org_id,
        "name": connection.name,
        "platform": connection.platform.value,
        "direction": connection.direction.value,
        "config": connection.config,
        "status": connection.status.value,
        "createdAt": connection.created_at,
        "updatedAt": connection.updated_at,
        "lastTestedAt": connection.last_tested_at,
        "lastError": connection.last_error,
        "version": connection.version,
        "hasCredentials": connection.has_credentials,
    }


def record_bytes(connection: Connection) -> int:
    """The record's size as DynamoDB counts it (the attributes the repository writes from it)."""
    return item_bytes(stored_attributes(connection))


def record_size_problems(connection: Connection) -> list[FieldProblem]:
    """A problem naming ``config`` when the connection's item could exceed DynamoDB's 400 KB."""
    size = record_bytes(connection)
    if size <= MAX_RECORD_BYTES:
        return []
    return [
        FieldProblem(
            "config",
            f"is too large to store: the connection would take {size:,} bytes, at most {MAX_RECORD_BYTES:,} fit",
        )
    ]
