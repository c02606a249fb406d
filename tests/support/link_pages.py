"""The next page of a listing answered as a bare array: the ``rel="next"`` target of its Link header."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

_NEXT = re.compile(r'^<([^<>]+)>; rel="next"$')


def next_link(headers: Mapping[str, str]) -> str | None:
    """The next page's URL (path and query), or None on the last page."""
    value = {name.lower(): text for name, text in headers.items()}.get("link")
    if value is None:
        return None
    match = _NEXT.fullmatch(value)
    assert match, f"not a next link: {value!r}"
    return match[1]


def next_query(headers: Mapping[str, str]) -> dict[str, str] | None:
    """The next page's query parameters (cursor included), or None on the last page."""
    link = next_link(headers)
    if link is None:
        return None
    return {name: values[-1] for name, values in parse_qs(urlsplit(link).query, keep_blank_values=True).items()}


def next_cursor(headers: Mapping[str, str]) -> str | None:
    """The next page's cursor, or None on the last page."""
    query = next_query(headers)
    return None if query is None else query["cursor"]
