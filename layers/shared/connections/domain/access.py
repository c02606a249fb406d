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

    @property
    def may_write(self) -> bool:
        # Key management (owner, admin only) arrives with /api/keys; until then every known role but
        # viewer may write, as before.
        return self is not OrgRole.VIEWER


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

    @property
    def may_write(self) -> bool:
        """A session may write only with a known role that writes; a missing or unknown role reads."""
        return self.role is not None and self.role.may_write


@dataclass(frozen=True)
class Access:
    """What a route requires: the API key scope that opens it (None: session only), and whether it writes."""

    scope: Scope | None
    writes: bool

    def check(self, caller: Caller) -> None:
        """Raise Forbidden unless ``caller`` may use a route with this access rule."""
        if caller.is_session:
            if self.writes and caller.role is None:
                raise Forbidden("Your organisation role is not recognised, so it may only read")
            if self.writes and not caller.may_write:
                raise Forbidden("Your organisation role is read-only")
            return
        if self.scope is None:
            raise Forbidden("This operation requires a signed-in session; API keys cannot manage credentials")
        if self.scope.value not in caller.scopes:
            raise Forbidden(f"API key lacks the '{self.scope.value}' scope")


SESSION_ONLY = Access(scope=None, writes=True)
