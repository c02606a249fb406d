"""Values read out of a platform's answer on the push side, bounded before they are stored.

A segment id a platform returns is kept on the activation record and sent back in later URLs, so
only a non-empty string or integer of at most MAX_PLATFORM_ID_BYTES (UTF-8) is taken as one.
"""

from __future__ import annotations

from typing import Any

from connections.domain.storage_limits import text_bytes

MAX_PLATFORM_ID_BYTES = 512


def platform_id(value: Any) -> str | None:
    """``value`` as a platform's segment id, or None when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, int) and value.bit_length() > 4 * MAX_PLATFORM_ID_BYTES:
        return None  # far longer than any id, and str() of it would be slow
    text = str(value)
    return text if text and text_bytes(text) <= MAX_PLATFORM_ID_BYTES else None
