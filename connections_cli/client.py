"""The API over HTTP: one httpx client, answers turned into data or one ``ApiError`` with a clear line."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

# 429 and 503 say "come back later"; their Retry-After is honoured up to this many seconds a wait.
RETRYABLE_STATUSES = {429, 503}
MAX_RETRY_WAIT = 60.0
MAX_RETRIES = 8


class ApiError(Exception):
    """An answer or a transport failure, as one line and the exit code it stands for."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def exit_code(self) -> int:
        return 3 if self.status in (401, 403) else 1


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        details = body.get("details")
        suffix = f" ({details})" if details else ""
        return f"HTTP {response.status_code}: {body['error']}{suffix}"
    return f"HTTP {response.status_code}: {response.reason_phrase}"


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_WAIT)
    except ValueError:
        return default


class Api:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=60, transport=transport)
        self.sleep = sleep

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer of a 2xx; 429/503 retried after their Retry-After; anything else an ApiError."""
        for _ in range(MAX_RETRIES):
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.HTTPError as error:
                raise ApiError(f"Cannot reach {self.http.base_url}: {type(error).__name__}: {error}") from None
            if response.status_code in RETRYABLE_STATUSES:
                self.sleep(retry_after_seconds(response))
                continue
            if response.status_code >= 400:
                raise ApiError(_message(response), response.status_code)
            return response
        raise ApiError(f"{_message(response)}; gave up after {MAX_RETRIES} tries", response.status_code)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.send("GET", path, **kwargs).json()

    def post(self, path: str, json: Any = None) -> Any:
        response = self.send("POST", path, json=json)
        return response.json() if response.content else None

    def delete(self, path: str) -> Any:
        response = self.send("DELETE", path)
        return response.json() if response.content else None

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every record of a listing, following the ``Link: rel="next"`` header or a ``nextCursor``; a
        bare array, ``{"data": [...]}`` and ``{"items": [...]}`` bodies are all read."""
        url: str | None = path
        query: dict[str, Any] | None = params
        for _ in range(10_000):
            if url is None:
                return
            response = self.send("GET", url, params=query)
            body = response.json()
            if isinstance(body, list):
                records = body
                cursor = None
            else:
                records = body.get("data") or body.get("items") or body.get("activations") or []
                cursor = body.get("nextCursor")
            yield from records
            following = response.links.get("next", {}).get("url")
            if following:
                url, query = following, None
            elif cursor:
                url, query = path, {**params, "cursor": cursor}
            else:
                url = None
