"""Who is calling: an API key (``txadv_...``) or a Clerk session token, from a header or the cookie."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from connections.domain.access import AuthType, Caller
from connections.domain.api_keys import api_key_digest, looks_like_api_key
from connections.domain.errors import Forbidden, Unauthenticated
from connections.ports.api_key_repository import ApiKeyRepository
from connections.ports.session_verifier import SessionVerifier

SESSION_COOKIE = "__session"


def bearer_token(headers: Mapping[str, str], cookies: Sequence[str]) -> str:
    """The token from ``Authorization: Bearer`` or, failing that, the ``__session`` cookie."""
    authorization = next((value for name, value in headers.items() if name.lower() == "authorization"), None)
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        return token.strip()
    for cookie in cookies:
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value:
                return value
    raise Unauthenticated("Missing credentials: send an API key or a session token")


class Authenticator:
    """Turns a token into a Caller, or raises Unauthenticated / Forbidden."""

    def __init__(
        self,
        api_keys: ApiKeyRepository,
        sessions: Callable[[], SessionVerifier],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._api_keys = api_keys
        self._sessions = sessions  # built lazily: API-key callers never load JWT verification
        self._clock = clock

    def authenticate(self, token: str) -> Caller:
        if looks_like_api_key(token):
            return self._api_key_caller(token)
        return self._session_caller(token)

    def _api_key_caller(self, token: str) -> Caller:
        api_key = self._api_keys.find_by_digest(api_key_digest(token))
        if api_key is None:
            raise Unauthenticated("Invalid API key")
        refusal = api_key.refusal(self._clock())
        if refusal:
            raise Unauthenticated(refusal)
        return Caller(api_key.org_id, api_key.key_id, AuthType.API_KEY, api_key.scopes)

    def _session_caller(self, token: str) -> Caller:
        claims = self._sessions().verify(token)
        if not claims.org_id:
            raise Forbidden("The session has no active organisation; select one and retry")
        return Caller(claims.org_id, claims.user_id, AuthType.SESSION, frozenset(), claims.role)
