"""Record ids: a type prefix plus a ULID (sortable by creation time, 128 bits, URL-safe)."""

from __future__ import annotations

import re

from ulid import ULID

CONNECTION_PREFIX = "conn"
RUN_PREFIX = "run"
TOPIC_PREFIX = "tp"
ACTIVATION_PREFIX = "act"
API_KEY_PREFIX = "key"
EVENT_PREFIX = "evt"

_ID_PATTERN = re.compile(r"^(?P<prefix>[a-z]+)_[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(prefix: str) -> str:
    """A fresh id such as ``conn_01J9Z3...``."""
    return f"{prefix}_{ULID()}"


def is_valid_id(value: str, prefix: str) -> bool:
    """True when ``value`` is a well-formed id with the given prefix (cheap pre-check before a lookup)."""
    match = _ID_PATTERN.match(value)
    return bool(match and match.group("prefix") == prefix)
