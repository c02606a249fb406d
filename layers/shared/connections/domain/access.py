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


class OrgRole(StrEnum):
    """The application roles of the published authentication page."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(StrEnum):
    """What a route does, in the terms of the role matrix (README "Authentication, roles and CSRF")."""

    READ = "read"
    RUN = "run"  # syncs and pushes (start, page, cancel), topic and activation writes
    MANAGE_CONNECTIONS = "manage connections"  # connections and their credentials
    MANAGE_KEYS = "manage API keys"

    @property
    def writes(self) -> bool:
        return self is not Action.READ


# The role matrix: the one table of what each role may do. A session without a known role gets
# READ_ONLY (fail closed); API keys are governed by scopes instead (Access.check).
ROLE_ACTIONS: dict[OrgRole, frozenset[Action]] = {
    OrgRole.OWNER: frozenset(Action),
    OrgRole.ADMIN: frozenset(Action),
    OrgRole.MEMBER: frozenset({Action.READ, Action.RUN}),
    OrgRole.VIEWER: frozenset({Action.READ}),
}
READ_ONLY: frozenset[Action] = frozenset({Action.READ})


def role_actions(role: OrgRole | None) -> frozenset[Action]:
    """What a session with ``role`` may do; a missing or unknown role may only read."""
    return ROLE_ACTIONS.get(role, READ_ONLY) if role is not None else READ_ONLY


# Every spelling an organisation role reaches us in, mapped explicitly: Clerk's default roles
# (`org:admin`, `org:member`; v2 tokens carry them without the `org:` prefix), Clerk's legacy role
# keys (`admin`, `basic_member`), and AudienceGPT's roles as custom Clerk role keys (`org:owner`,
# `org:viewer`, ...). Keys are compared exactly: Clerk role keys are lower-case identifiers, so
# `Admin` or `org:billing` is not one of ours and is read-only (fail closed).
_ROLE_SPELLINGS: dict[str, OrgRole] = {
    "org:owner": OrgRole.OWNER,
    "owner": OrgRole.OWNER,
    "org:admin": OrgRole.ADMIN,
    "admin": OrgRole.ADMIN,
    "org:member": OrgRole.MEMBER,
    "member": OrgRole.MEMBER,
    "basic_member": OrgRole.MEMBER,
    "org:viewer": OrgRole.VIEWER,
    "viewer": OrgRole.VIEWER,
}


def org_role(claim: object) -> OrgRole | None:
    """The application role of a Clerk organisation role claim; None (read-only) when missing or unknown."""
    return _ROLE_SPELLINGS.get(claim) if isinstance(claim, str) else None


class CredentialSource(StrEnum):
    """Where the credential the authorizer used came from: cookies ride along with cross-site
    requests, headers do not, so only cookie callers need the CSRF rule (http/cross_site_requests.py)."""

    HEADER = "header"
    COOKIE = "cookie"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; ``org_id`` is the only organisation any data access may use."""

    org_id: str
    principal: str
    auth_type: AuthType
    scopes: frozenset[str] = frozenset()
    role: OrgRole | None = None
    credential_source: CredentialSource = CredentialSource.HEADER

    @property
    def is_session(self) -> bool:
        return self.auth_type is AuthType.SESSION

    def may(self, action: Action) -> bool:
        """Whether this session's role allows ``action`` (API keys are checked by scope, not here)."""
        return self.is_session and action in role_actions(self.role)


@dataclass(frozen=True)
class Access:
    """What a route requires: the API key scope that opens it (None: session only), and the action it
    performs, which the session's role must allow (ROLE_ACTIONS)."""

    scope: Scope | None
    action: Action

    @property
    def writes(self) -> bool:
        return self.action.writes

    def check(self, caller: Caller) -> None:
        """Raise Forbidden unless ``caller`` may use a route with this access rule."""
        if caller.is_session:
            if caller.may(self.action):
                return
            if caller.role is None:
                raise Forbidden("Your organisation role is not recognised, so it may only read")
            if caller.role is OrgRole.VIEWER:
                raise Forbidden("Your organisation role is read-only")
            raise Forbidden(f"Your organisation role ({caller.role.value}) may not {self.action.value}")
        if self.scope is None:
            raise Forbidden(
                "This operation requires a signed-in session; API keys cannot manage connections, "
                "credentials or API keys"
            )
        if self.scope.value not in caller.scopes:
            raise Forbidden(f"API key lacks the '{self.scope.value}' scope")
