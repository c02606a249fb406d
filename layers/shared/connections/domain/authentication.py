"""Who is calling: an API key (``txadv_...``) or a Clerk session token, from a header or the cookie."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from connections.domain.access import AuthType, Caller, CredentialSource, org_role
from connections.domain.api_keys import api_key_digest, looks_like_api_key, use_cutoff
from connections.domain.clock import format_timestamp
from connections.domain.errors import Forbidden, Unauthenticated
from connections.ports.api_key_repository import ApiKeyRepository
from connections.ports.session_verifier import SessionVerifier

SESSION_COOKIE = "__session"


@dataclass(frozen=True)
class PresentedCredential:
    """The token a request carries and where it came from."""

    token: str
    source: CredentialSource


def presented_credential(headers: Mapping[str, str], cookies: Sequence[str]) -> PresentedCredential:
    """The token from ``Authorization: Bearer`` or, failing that, the ``__session`` cookie.

    The header wins when both are sent, so the source reported is the one actually used."""
    authorization = next((value for name, value in headers.items() if name.lower() == "authorization"), None)
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        return PresentedCredential(token.strip(), CredentialSource.HEADER)
    for cookie in cookies:
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value:
                return PresentedCredential(value, CredentialSource.COOKIE)
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

    def authenticate(self, token: str, source: CredentialSource = CredentialSource.HEADER) -> Caller:
        """The caller ``token`` (sent in ``source``) stands for."""
        caller = self._api_key_caller(token) if looks_like_api_key(token) else self._session_caller(token)
        return replace(caller, credential_source=source)

    def _api_key_caller(self, token: str) -> Caller:
        digest = api_key_digest(token)
        api_key = self._api_keys.find_by_digest(digest)
        if api_key is None:
            raise Unauthenticated("Invalid API key")
        now = self._clock()
        refusal = api_key.refusal(now)
        if refusal:
            raise Unauthenticated(refusal)
        # Decided on the item just read, so a key used again within the interval costs no write at all
        # (a refused conditional write would still cost one); the store's condition covers containers
        # that read the same old value at once.
        if api_key.use_is_due(now):
            self._api_keys.record_use(digest, format_timestamp(now), use_cutoff(now))
        return Caller(api_key.org_id, api_key.key_id, AuthType.API_KEY, api_key.scopes)

    def _session_caller(self, token: str) -> Caller:
        claims = self._sessions().verify(token)
        if not claims.org_id:
            raise Forbidden("The session has no active organisation; select one and retry")
        # An unknown or missing role is kept as None, which may only read (fail closed).
        return Caller(claims.org_id, claims.user_id, AuthType.SESSION, frozenset(), org_role(claims.role))
