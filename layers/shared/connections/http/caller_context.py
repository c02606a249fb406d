"""The caller as the authorizer described it in ``requestContext.authorizer.lambda``.

The authorizer always lets the request through (an HTTP API authorizer that denies can only produce a
bare 403) and says here whether the caller is authenticated; this module turns a missing or failed
authentication into the API's own 401/403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.domain.access import AuthType, Caller, CredentialSource, OrgRole
from connections.domain.errors import Forbidden, Unauthenticated


def authorizer_context(caller: Caller) -> dict[str, Any]:
    """What the authorizer passes on for an authenticated caller (simple response context values)."""
    return {
        "authenticated": True,
        "orgId": caller.org_id,
        "principal": caller.principal,
        "authType": caller.auth_type.value,
        "scopes": " ".join(sorted(caller.scopes)),
        # The application role (owner, admin, member, viewer), already mapped from Clerk's; "" when
        # the session's role is missing or unknown.
        "role": caller.role.value if caller.role else "",
        "credentialSource": caller.credential_source.value,
    }


def rejection_context(message: str, status: int) -> dict[str, Any]:
    """What the authorizer passes on when it could not authenticate the caller."""
    return {"authenticated": False, "authError": message, "authStatus": status}


def caller_from_context(context: Mapping[str, Any] | None) -> Caller:
    """The caller, or Unauthenticated/Forbidden as the authorizer decided."""
    if not context:
        raise Unauthenticated("Missing credentials: send an API key or a session token")
    if context.get("authenticated") not in (True, "true"):
        message = str(context.get("authError") or "Invalid credentials")
        if str(context.get("authStatus")) == "403":
            raise Forbidden(message)
        raise Unauthenticated(message)
    org_id = context.get("orgId")
    if not org_id:
        raise Unauthenticated("Credentials carry no organisation")
    return Caller(
        org_id=str(org_id),
        principal=str(context.get("principal", "")),
        auth_type=AuthType(str(context.get("authType"))),
        scopes=frozenset(str(context.get("scopes", "")).split()),
        role=_role(context.get("role")),
        credential_source=_credential_source(context.get("credentialSource")),
    )


def _role(value: Any) -> OrgRole | None:
    # Only the authorizer's own spellings count here: anything else is no role at all (read-only).
    return OrgRole(value) if isinstance(value, str) and value in OrgRole.__members__.values() else None


def _credential_source(value: Any) -> CredentialSource:
    # A context that does not say where the credential came from is treated as a cookie, the source
    # the stricter rule applies to.
    return CredentialSource.HEADER if value == CredentialSource.HEADER.value else CredentialSource.COOKIE
