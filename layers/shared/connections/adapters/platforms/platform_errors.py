"""How a platform's refusal reads to a user: fixed wording per status, and at most a short, scrubbed
message taken from a known error field of the response (never the body itself)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from connections.adapters.outbound.safe_client import OutboundResponse, decode_json
from connections.domain.outbound_errors import MalformedResponse, OutboundError, UpstreamStatusError
from connections.domain.outbound_errors import UndocumentedOperation as UndocumentedOperation  # where adapters find it

MAX_PLATFORM_MESSAGE = 160
# Error fields platforms use for a human-readable reason, most specific first.
_MESSAGE_FIELDS = ("error_description", "message", "Message", "error", "detail", "title")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")
_MIN_SECRET_LENGTH = 4


class IncompleteConnection(OutboundError):
    """The connection lacks a setting or credential the platform needs; nothing was sent."""


def platform_message(body: bytes, secrets: Iterable[str] = ()) -> str | None:
    """A short reason from a JSON error body, with any secret value masked; None when there is none."""
    try:
        document: Any = decode_json(body)
    except MalformedResponse:
        return None  # not JSON, or nested too deep to read: the status alone has to do
    candidates = [document]
    if isinstance(document, dict):
        candidates += [document.get("error"), (document.get("errors") or [None])[0]]
    for candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        for name in _MESSAGE_FIELDS:
            value = candidate.get(name)
            if isinstance(value, str) and value.strip():
                return _clean(value, secrets)
    return None


def _clean(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET_LENGTH:
            text = text.replace(secret, "***")
    text = _UNPRINTABLE.sub(" ", text).strip()
    return text if len(text) <= MAX_PLATFORM_MESSAGE else text[: MAX_PLATFORM_MESSAGE - 3] + "..."


def status_failure(response: OutboundResponse, secrets: Iterable[str] = ()) -> UpstreamStatusError:
    """The error for a non-2xx answer: fixed words for 401/403, the status and a short reason otherwise.

    Authentication failures never quote the platform (their bodies are where a login is most likely
    echoed) and keep no body.
    """
    status = response.status
    if status == 401:
        return UpstreamStatusError(401, "Authentication failed (401)")
    if status == 403:
        return UpstreamStatusError(403, "Access denied (403)")
    reason = platform_message(response.content, secrets)
    text = f"Platform returned HTTP {status}" + (f": {reason}" if reason else "")
    return UpstreamStatusError(status, text, body=response.content)
