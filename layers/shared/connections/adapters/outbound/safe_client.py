"""The one HTTP client platform adapters call external APIs with.

It checks every URL (and every redirect hop) against the target policy, connects only to checked
addresses (see pinned_transport), keeps each call inside its deadline, retries 429/5xx and failed
connections with full-jitter backoff honouring ``Retry-After``, and caps response bodies.
"""

from __future__ import annotations

import json as jsonlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from connections.adapters.outbound.address_policy import TargetPolicy
from connections.adapters.outbound.pinned_transport import PinnedTransport, Resolver, bound_to
from connections.adapters.outbound.retry_policy import RetryPolicy, parse_retry_after
from connections.domain.deadline import Deadline
from connections.domain.field_mapping import MAX_DOCUMENT_DEPTH, nesting_exceeds
from connections.domain.outbound_errors import (
    DeadlineExceeded,
    MalformedResponse,
    ResponseTooLarge,
    TargetNotAllowed,
    TooManyRedirects,
    UpstreamStatusError,
    UpstreamUnavailable,
)

# httpx logs every URL at INFO and httpcore traces headers at DEBUG: query strings and headers may
# carry credentials, so neither may reach the function's logs.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_USER_AGENT = "connections-api/0.1"
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A header we cannot classify may carry a credential, so a cross-origin redirect keeps only these.
_CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-encoding", "accept-language", "content-type", "user-agent"})
_PER_REQUEST_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class OutboundResponse:
    """A complete response: status, headers (case-insensitive), body bytes and the final URL."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def is_success(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        """The body as UTF-8 text (undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; MalformedResponse when it is not JSON (see ``decode_json``)."""
        return decode_json(self.content)


def _refuse_constant(literal: str) -> Any:
    raise MalformedResponse(f"Platform returned {literal}, which is not a JSON number")


def decode_json(content: bytes) -> Any:
    """A platform's answer parsed as strict JSON, or MalformedResponse.

    Python's parser accepts ``Infinity`` and ``NaN`` and recurses once per nesting level: neither
    may reach the code that sizes runs or stores values, so both literals are refused, and a
    document nested deeper than MAX_DOCUMENT_DEPTH (or too deep to parse) cannot be read.
    """
    try:
        document = jsonlib.loads(content, parse_constant=_refuse_constant)
    except RecursionError:
        document = None
        too_deep = True
    except (ValueError, UnicodeDecodeError):
        raise MalformedResponse("Platform returned a response that is not valid JSON") from None
    else:
        too_deep = nesting_exceeds(document, MAX_DOCUMENT_DEPTH)
    if too_deep:
        raise MalformedResponse(f"Platform returned JSON nested more than {MAX_DOCUMENT_DEPTH} levels deep")
    return document


@dataclass(frozen=True)
class _Hop:
    """One request of a redirect chain, kept as plain parts so each attempt builds it afresh."""

    method: str
    url: httpx.URL
    headers: list[tuple[str, str]]
    content: bytes


class SafeHttpClient:
    """SSRF-guarded, deadline-bound HTTP client; one instance is meant to be reused per process."""

    def __init__(
        self,
        *,
        allow_private_targets: bool = False,
        policy: TargetPolicy | None = None,
        resolver: Resolver = socket.getaddrinfo,
        sleep: Callable[[float], None] = time.sleep,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        verify: ssl.SSLContext | bool = True,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self._policy = policy or TargetPolicy(allow_private=allow_private_targets)
        self._sleep = sleep
        self._timeout_seconds = timeout_seconds
        self._client = httpx.Client(
            transport=PinnedTransport(self._policy, resolver=resolver, verify=verify),
            follow_redirects=False,
            trust_env=False,
            # Cookies set by one organisation's platform must never ride along with another's calls.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={"User-Agent": user_agent},
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        deadline: Deadline,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        retry: RetryPolicy | None = None,
    ) -> OutboundResponse:
        """Send a request, following up to MAX_REDIRECTS redirects, within ``deadline``.

        Returns any final response that is not retried (the caller judges 4xx), including a 307/308
        that would carry the body to another origin, which is not followed. Raises
        TargetNotAllowed, DeadlineExceeded, ResponseTooLarge, UpstreamStatusError (retryable
        status still failing), UpstreamUnavailable, MalformedResponse or TooManyRedirects.
        """
        retry = retry or RetryPolicy()
        hop = self._first_hop(method, url, headers, params, json, data, content)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send_with_retries(hop, deadline, retry, max_bytes)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            next_hop = self._redirected(hop, response.status, location)
            if next_hop is None:
                return response
            hop = next_hop
        raise TooManyRedirects(MAX_REDIRECTS)

    def _check(self, url: httpx.URL) -> None:
        self._policy.check_url(
            scheme=url.scheme,
            host=url.raw_host.decode("ascii"),
            port=url.port,
            has_userinfo=bool(url.userinfo),
        )

    def _first_hop(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
        content: bytes | None,
    ) -> _Hop:
        try:
            request = self._client.build_request(
                method, url, headers=headers, params=params, json=json, data=data, content=content
            )
        except httpx.InvalidURL:
            raise TargetNotAllowed("the URL is not valid") from None
        self._check(request.url)
        kept = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _PER_REQUEST_HEADERS]
        return _Hop(request.method, request.url, kept, request.read())

    def _redirected(self, hop: _Hop, status: int, location: str) -> _Hop | None:
        """The next request of a redirect, or None when it is not followed (the 3xx is returned)."""
        try:
            target = hop.url.join(location)
        except httpx.InvalidURL:
            raise MalformedResponse("Platform redirected to an invalid URL") from None
        if hop.url.scheme == "https" and target.scheme != "https":
            raise TargetNotAllowed("a redirect from https to http was refused")
        self._check(target)
        method, headers, content = hop.method, hop.headers, hop.content
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, content = "GET", b""
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        if _origin(target) != _origin(hop.url):
            if content:
                return None  # a body (a token request's client secret, say) never goes to another host
            headers = [(k, v) for k, v in headers if k.lower() in _CROSS_ORIGIN_HEADERS]
        return _Hop(method, target, headers, content)

    def _send_with_retries(self, hop: _Hop, deadline: Deadline, retry: RetryPolicy, max_bytes: int) -> OutboundResponse:
        attempt = 0
        while True:
            attempt += 1
            if deadline.expired:
                raise DeadlineExceeded(deadline.budget_seconds)
            try:
                response = self._attempt(hop, deadline, max_bytes)
            except httpx.DecodingError:
                raise MalformedResponse("Platform returned a response that could not be decoded") from None
            except httpx.RequestError as exc:
                if deadline.expired:
                    raise DeadlineExceeded(deadline.budget_seconds) from None
                failure: Exception = _unavailable(hop.url, exc)
                if attempt >= retry.max_attempts or not _may_retry(exc, hop.method, retry):
                    raise failure from None
                if isinstance(exc, httpx.TimeoutException):
                    failure = DeadlineExceeded(deadline.budget_seconds)
                wait = retry.backoff_seconds(attempt)
            else:
                if not retry.retries_status(hop.method, response.status):
                    return response
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                failure = UpstreamStatusError(response.status, retry_after_seconds=retry_after, body=response.content)
                if attempt >= retry.max_attempts:
                    raise failure
                wait = retry.backoff_seconds(attempt) if retry_after is None else retry_after
            if wait >= deadline.remaining():
                raise failure
            self._sleep(wait)

    def _attempt(self, hop: _Hop, deadline: Deadline, max_bytes: int) -> OutboundResponse:
        request = self._client.build_request(
            hop.method,
            hop.url,
            headers=hop.headers,
            content=hop.content or None,
            timeout=min(self._timeout_seconds, deadline.remaining()),
        )
        with bound_to(deadline):
            response = self._client.send(request, stream=True)
            try:
                if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                    body = b""  # never read: only the Location header is used
                else:
                    body = _read_capped(response, deadline, max_bytes)
            finally:
                response.close()
        return OutboundResponse(response.status_code, response.headers, body, str(response.url))


def _read_capped(response: httpx.Response, deadline: Deadline, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(max_bytes)
        if deadline.expired:
            raise DeadlineExceeded(deadline.budget_seconds)
        chunks.append(chunk)
    return b"".join(chunks)


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.raw_host.lower(), url.port or default_port


def _may_retry(exc: httpx.RequestError, method: str, retry: RetryPolicy) -> bool:
    if _is_certificate_failure(exc):
        return False
    if isinstance(exc, _NOT_SENT):
        return True
    return isinstance(exc, _MAYBE_SENT) and retry.may_resend(method)


def _is_certificate_failure(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _unavailable(url: httpx.URL, exc: httpx.RequestError) -> UpstreamUnavailable:
    host = url.host
    if _is_certificate_failure(exc):
        return UpstreamUnavailable(f"TLS certificate verification failed for {host}")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamUnavailable(f"{host} did not respond in time")
    return UpstreamUnavailable(f"Could not connect to {host}")


_shared_clients: dict[bool, SafeHttpClient] = {}
_shared_lock = threading.Lock()


def shared_client(*, allow_private_targets: bool = False) -> SafeHttpClient:
    """The process-wide client for this setting, created on first use and reused across invocations."""
    with _shared_lock:
        client = _shared_clients.get(allow_private_targets)
        if client is None:
            client = _shared_clients[allow_private_targets] = SafeHttpClient(
                allow_private_targets=allow_private_targets
            )
        return client
