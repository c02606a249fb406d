"""Requests to one platform: auth headers applied, an expired token renewed once, refusals worded
for users. Every request carries the caller's deadline (token requests included)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from connections.adapters.outbound.retry_policy import RetryPolicy
from connections.adapters.outbound.safe_client import DEFAULT_MAX_BYTES, OutboundResponse, SafeHttpClient
from connections.adapters.platforms.auth import AppliedAuth, RequestAuth
from connections.adapters.platforms.platform_errors import status_failure
from connections.domain.deadline import Deadline

logger = logging.getLogger(__name__)

JSON_HEADERS = {"Accept": "application/json"}
# Calls that create something and carry no idempotency key: a 5xx or dropped connection after the
# platform acted must not create a second copy (a 429 is still retried: nothing was done).
NO_RESEND = RetryPolicy(retry_non_idempotent=False)


def join_url(base: str, path: str) -> str:
    """``base`` followed by ``path``, with exactly one slash between them."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def item_url(collection_url: str, item_id: str) -> str:
    """The URL of one item of a collection; the id is percent-encoded whole (it may hold '/')."""
    return collection_url.rstrip("/") + "/" + quote(item_id, safe="")


def host_of(url: str) -> str:
    """The host of ``url`` for log lines (never its path or query, which may carry identifiers)."""
    return urlsplit(url).hostname or "?"


class AuthorizedClient:
    """Sends one connection's requests through the safe client with its auth and extra headers."""

    def __init__(
        self,
        http: SafeHttpClient,
        auth: RequestAuth,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._http = http
        self._auth = auth
        self._headers = {**JSON_HEADERS, **(headers or {})}
        self._max_bytes = max_bytes

    def send(
        self,
        method: str,
        url: str,
        deadline: Deadline,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: RetryPolicy | None = None,
        also_fine: Collection[int] = (),
    ) -> OutboundResponse:
        """The platform's 2xx answer (or one of ``also_fine``); any other status raises a worded error."""
        applied = self._auth.apply(deadline)
        response = self._request(method, url, deadline, applied, params, json, retry)
        if response.status in (401, 403) and self._auth.renew_after(response, applied):
            logger.info("Renewing a rejected %s token for %s", method, host_of(url))
            applied = self._auth.apply(deadline)
            response = self._request(method, url, deadline, applied, params, json, retry)
        if response.is_success or response.status in also_fine:
            return response
        logger.warning("%s %s answered HTTP %s", method, host_of(url), response.status)
        raise status_failure(response, (*self._auth.secrets, *applied.secrets))

    def _request(
        self,
        method: str,
        url: str,
        deadline: Deadline,
        applied: AppliedAuth,
        params: Mapping[str, Any] | None,
        json: Any,
        retry: RetryPolicy | None,
    ) -> OutboundResponse:
        return self._http.request(
            method,
            url,
            deadline=deadline,
            headers={**self._headers, **applied.headers},
            params=params,
            json=json,
            max_bytes=self._max_bytes,
            retry=retry,
        )
