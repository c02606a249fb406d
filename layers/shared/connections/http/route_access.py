"""The route table of DESIGN.md section 4: who may call each route. Each rule names the API key scope
that opens it (None: session only) and the action it performs, which the session's role must allow
(ROLE_ACTIONS in domain/access.py). Enforced for every function by the shared resolver; a route missing
here is refused, so a new endpoint cannot ship without a rule."""

from __future__ import annotations

from connections.domain.access import Access, Action, Scope

_SYNC_READ = Access(Scope.SYNC, Action.READ)
_SYNC_RUN = Access(Scope.SYNC, Action.RUN)
_ACTIVATIONS_READ = Access(Scope.ACTIVATIONS, Action.READ)
_ACTIVATIONS_RUN = Access(Scope.ACTIVATIONS, Action.RUN)
_CONNECTION_MANAGEMENT = Access(None, Action.MANAGE_CONNECTIONS)
_KEY_MANAGEMENT = Access(None, Action.MANAGE_KEYS)

ROUTE_ACCESS: dict[str, Access] = {
    "GET /api/connections": _SYNC_READ,
    "POST /api/connections": _CONNECTION_MANAGEMENT,
    "GET /api/connections/{id}": _SYNC_READ,
    "PATCH /api/connections/{id}": _CONNECTION_MANAGEMENT,
    "DELETE /api/connections/{id}": _CONNECTION_MANAGEMENT,
    "POST /api/connections/{id}/test": _CONNECTION_MANAGEMENT,
    "POST /api/connections/{id}/sync/run": _SYNC_RUN,
    "POST /api/connections/{id}/sync/run/{runId}/page": _SYNC_RUN,
    "GET /api/connections/{id}/sync/run/{runId}/status": _SYNC_READ,
    "POST /api/connections/{id}/sync/run/{runId}/cancel": _SYNC_RUN,
    "POST /api/connections/{id}/push/run": _ACTIVATIONS_RUN,
    "POST /api/connections/{id}/push/run/{runId}/push": _ACTIVATIONS_RUN,
    "GET /api/connections/{id}/push/run/{runId}/status": _ACTIVATIONS_READ,
    "POST /api/connections/{id}/push/run/{runId}/cancel": _ACTIVATIONS_RUN,
    "GET /api/topics": Access(Scope.TOPICS_READ, Action.READ),
    "POST /api/topics": Access(Scope.TOPICS_WRITE, Action.RUN),
    "GET /api/activations": _ACTIVATIONS_READ,
    "POST /api/activations/{id}/deactivate": _ACTIVATIONS_RUN,
    "POST /api/activations/{id}/refresh": _ACTIVATIONS_RUN,
    "POST /api/activations/bulk": _ACTIVATIONS_RUN,
    "POST /api/keys": _KEY_MANAGEMENT,
    "GET /api/keys": _KEY_MANAGEMENT,
    "DELETE /api/keys/{id}": _KEY_MANAGEMENT,
}
