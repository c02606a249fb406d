"""The caller as the authorizer described it in ``requestContext.authorizer.lambda``.

The authorizer always lets the request through (an HTTP API authorizer that denies can only produce a
bare 403) and says here whether the caller is authenticated; this module turns a missing or failed
authentication into the API's own 401/403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.domain.access import AuthType, Caller
from connections.domain.errors import Forbidden, Unauthenticated


def authorizer_context(caller: Caller) -> dict[str, Any]:
    """What the authorizer passes on for an authenticated caller (simple response context values)."""
    return {
        "authenticated": True,
        "orgId": caller.org_id,
        "principal": caller.principal,
        "authType": caller.auth_type.value,
        "scopes": " ".join(sorted(caller.scopes)),
        "role": caller.role or "",
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
        role=str(context.get("role") or "") or None,
    )
