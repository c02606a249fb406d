"""How requests to a platform are authorised.

A ``RequestAuth`` gives the headers of one request and decides, after a 401/403, whether the token
it used looked expired: then the token is forgotten and the caller may try once more with a new one.
Custom APIs use a fixed scheme (``auth_type`` bearer, basic, api_key or none); the named platforms
issue tokens (``TokenAuth``), cached per container.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from connections.adapters.outbound.safe_client import OutboundResponse
from connections.adapters.platforms.platform_errors import IncompleteConnection
from connections.adapters.platforms.token_cache import IssuedToken, TokenCache
from connections.domain.deadline import Deadline

DEFAULT_API_KEY_HEADER = "X-API-Key"
# Words by which a 403 says the token (rather than the caller's rights) is the problem.
_EXPIRY_HINTS = ("expired", "invalid_token", "invalid token")


@dataclass(frozen=True)
class AppliedAuth:
    """The auth headers of one request, and the token behind them when it came from the cache."""

    headers: Mapping[str, str]
    cached_token: str | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)


class RequestAuth(Protocol):
    """Authorises the requests of one connection."""

    def apply(self, deadline: Deadline) -> AppliedAuth:
        """Headers for the next request (may issue a token, within ``deadline``)."""
        ...

    def renew_after(self, rejection: OutboundResponse, applied: AppliedAuth) -> bool:
        """After a 401/403: forget an expired token; True when one retry with a new token makes sense."""
        ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """Credential values, to keep out of any message built from a platform's answer."""
        ...


@dataclass(frozen=True)
class NoAuth:
    """No credentials (auth_type none)."""

    def apply(self, deadline: Deadline) -> AppliedAuth:
        return AppliedAuth({})

    def renew_after(self, rejection: OutboundResponse, applied: AppliedAuth) -> bool:
        return False

    @property
    def secrets(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class StaticHeaderAuth:
    """One fixed header: a bearer token, HTTP Basic, an API-key header or The Trade Desk's TTD-Auth."""

    name: str
    value: str = field(repr=False)
    secret_values: tuple[str, ...] = field(default=(), repr=False)

    def apply(self, deadline: Deadline) -> AppliedAuth:
        return AppliedAuth({self.name: self.value})

    def renew_after(self, rejection: OutboundResponse, applied: AppliedAuth) -> bool:
        return False

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.value, *self.secret_values)


def bearer(token: str) -> StaticHeaderAuth:
    """``Authorization: Bearer <token>``."""
    return StaticHeaderAuth("Authorization", f"Bearer {token}", (token,))


def basic(username: str, password: str) -> StaticHeaderAuth:
    """``Authorization: Basic <base64(username:password)>``."""
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return StaticHeaderAuth("Authorization", f"Basic {encoded}", (username, password))


def custom_auth(config: Mapping[str, object], credentials: Mapping[str, str]) -> RequestAuth:
    """The auth of a custom API, from ``auth_type`` (default none) and its credentials."""
    auth_type = config.get("auth_type") or "none"
    if auth_type == "none":
        return NoAuth()
    if auth_type == "bearer":
        token = credentials.get("token") or credentials.get("api_key")
        if not token:
            raise IncompleteConnection("auth_type 'bearer' needs the credential token or api_key")
        return bearer(token)
    if auth_type == "basic":
        username, password = credentials.get("username"), credentials.get("password")
        if not (username and password):
            raise IncompleteConnection("auth_type 'basic' needs the credentials username and password")
        return basic(username, password)
    if auth_type == "api_key":
        key = credentials.get("api_key")
        if not key:
            raise IncompleteConnection("auth_type 'api_key' needs the credential api_key")
        header = config.get("api_key_header")
        return StaticHeaderAuth(header if isinstance(header, str) and header else DEFAULT_API_KEY_HEADER, key)
    raise IncompleteConnection(f"auth_type '{auth_type}' is not supported")


class TokenAuth:
    """A platform-issued token in a header, cached until shortly before it expires.

    ``issue`` asks the platform for a new token within the deadline it is given. A 401, or a 403 whose
    answer speaks of an expired or invalid token, on a token that came from the cache means the token
    went stale early (revoked, clock skew): it is forgotten and the caller retries once.
    """

    def __init__(
        self,
        *,
        cache: TokenCache,
        cache_key: str,
        issue: Callable[[Deadline], IssuedToken],
        header: str = "Authorization",
        prefix: str = "Bearer ",
        extra_headers: Mapping[str, str] | None = None,
        secret_values: tuple[str, ...] = (),
    ) -> None:
        self._cache = cache
        self._key = cache_key
        self._issue = issue
        self._header = header
        self._prefix = prefix
        self._extra = dict(extra_headers or {})
        self._secret_values = secret_values

    def apply(self, deadline: Deadline) -> AppliedAuth:
        token, issued_now = self._cache.get_or_issue(self._key, lambda: self._issue(deadline), deadline)
        headers = {**self._extra, self._header: f"{self._prefix}{token}"}
        return AppliedAuth(headers, cached_token=None if issued_now else token, secrets=(token,))

    def issue_new(self, deadline: Deadline) -> None:
        """Obtain a new token whatever the cache holds, and keep it for later calls."""
        self._cache.put(self._key, self._issue(deadline))

    def renew_after(self, rejection: OutboundResponse, applied: AppliedAuth) -> bool:
        if applied.cached_token is None or not signals_expired_token(rejection):
            return False
        self._cache.invalidate(self._key, applied.cached_token)
        return True

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secret_values


def signals_expired_token(response: OutboundResponse) -> bool:
    """True for a 401, or a 403 that blames the token (LiveRamp documents 403 for expired tokens)."""
    if response.status == 401:
        return True
    if response.status != 403:
        return False
    said = (response.headers.get("www-authenticate", "") + " " + response.text[:2048]).lower()
    return any(hint in said for hint in _EXPIRY_HINTS)
