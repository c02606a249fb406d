"""Who is calling, and the rule that decides whether they may call a route (DESIGN.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from connections.domain.errors import Forbidden


class AuthType(StrEnum):
    API_KEY = "api_key"
    SESSION = "session"


class Scope(StrEnum):
    SYNC = "sync"
    ACTIVATIONS = "activations"
    TOPICS_READ = "topics:read"
    TOPICS_WRITE = "topics:write"


# Clerk organisation roles come as "org:viewer"; plain "viewer" is accepted for custom role keys.
VIEWER_ROLES = frozenset({"org:viewer", "viewer"})


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; ``org_id`` is the only organisation any data access may use."""

    org_id: str
    principal: str
    auth_type: AuthType
    scopes: frozenset[str] = frozenset()
    role: str | None = None

    @property
    def is_session(self) -> bool:
        return self.auth_type is AuthType.SESSION

    @property
    def is_viewer(self) -> bool:
        return self.is_session and (self.role or "") in VIEWER_ROLES


@dataclass(frozen=True)
class Access:
    """What a route requires: the API key scope that opens it (None: session only), and whether it writes."""

    scope: Scope | None
    writes: bool

    def check(self, caller: Caller) -> None:
        """Raise Forbidden unless ``caller`` may use a route with this access rule."""
        if caller.is_session:
            if self.writes and caller.is_viewer:
                raise Forbidden("Your organisation role is read-only")
            return
        if self.scope is None:
            raise Forbidden("This operation requires a signed-in session; API keys cannot manage credentials")
        if self.scope.value not in caller.scopes:
            raise Forbidden(f"API key lacks the '{self.scope.value}' scope")


SESSION_ONLY = Access(scope=None, writes=True)
