"""Asking a platform's token endpoint for an access token, within the caller's deadline."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connections.adapters.outbound.safe_client import OutboundResponse, SafeHttpClient
from connections.adapters.platforms.authorized_client import host_of
from connections.adapters.platforms.platform_errors import platform_message
from connections.adapters.platforms.token_cache import IssuedToken
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import MalformedResponse, UpstreamStatusError

logger = logging.getLogger(__name__)

MAX_TOKEN_RESPONSE_BYTES = 64 * 1024
# A token is cached at most this long whatever lifetime the platform claims (asking again is harmless).
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600.0
# Statuses by which a token endpoint refuses the credentials themselves.
_REFUSALS = frozenset({400, 401, 403})

TokenReader = Callable[[Any], IssuedToken | None]


def request_token(
    http: SafeHttpClient,
    url: str,
    deadline: Deadline,
    read: TokenReader,
    *,
    form: Mapping[str, str] | None = None,
    json: Any = None,
    secrets: Iterable[str] = (),
) -> IssuedToken:
    """POST credentials to ``url`` and read the token from the JSON answer with ``read``.

    A refusal of the credentials is "Authentication failed (<status>)"; any other failure names the
    status only. Neither keeps the body, which could echo what was sent.
    """
    response = http.request(
        "POST",
        url,
        deadline=deadline,
        headers={"Accept": "application/json"},
        data=form,
        json=json,
        max_bytes=MAX_TOKEN_RESPONSE_BYTES,
    )
    if not response.is_success:
        raise _refusal(response, secrets)
    token = read(response.json())
    if token is None or not token.value:
        raise MalformedResponse("Token response did not contain an access token")
    logger.info("Obtained an access token from %s", host_of(url))
    return token


def _refusal(response: OutboundResponse, secrets: Iterable[str]) -> UpstreamStatusError:
    logger.warning("Token request to %s answered HTTP %s", host_of(response.url), response.status)
    if response.status in _REFUSALS:
        return UpstreamStatusError(response.status, f"Authentication failed ({response.status})")
    reason = platform_message(response.content, secrets)
    text = f"Could not obtain an access token: platform returned HTTP {response.status}"
    return UpstreamStatusError(response.status, text + (f" ({reason})" if reason else ""))


def seconds(value: Any, default: float) -> float:
    """A lifetime given as a number or numeric string, at most MAX_TOKEN_LIFETIME_SECONDS; ``default``
    when absent, unreadable, negative or not finite (``"inf"`` would keep a token for ever)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        lifetime = float(value[:32] if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return default
    if not math.isfinite(lifetime) or lifetime < 0:
        return default
    return min(lifetime, MAX_TOKEN_LIFETIME_SECONDS)
