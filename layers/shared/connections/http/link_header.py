"""RFC 8288 ``Link`` headers: where the next page of a listing whose body is a bare array is."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

# Parameters the next page's URL replaces: it goes on by cursor, never by page number.
_POSITION_PARAMETERS = ("cursor", "page")


def next_page_link(path: str, query: Mapping[str, str] | None, cursor: str) -> str:
    """``<path?query>; rel="next"``: the request's own path and query with ``cursor`` in place of its
    position. The target is a path-absolute reference, resolved against the request's URL (RFC 8288
    section 3.2), so it needs no host header the caller could have chosen. Every value is
    percent-encoded, so no ``>`` or ``;`` can end the target early."""
    kept = {name: value for name, value in (query or {}).items() if name not in _POSITION_PARAMETERS}
    return f'<{path}?{urlencode(kept | {"cursor": cursor})}>; rel="next"'
