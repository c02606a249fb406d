"""The route table of DESIGN.md section 4: who may call each route. Enforced for every function by the
shared resolver; a route missing here is refused, so a new endpoint cannot ship without a rule."""

from __future__ import annotations

from connections.domain.access import SESSION_ONLY, Access, Scope

_SYNC_READ = Access(scope=Scope.SYNC, writes=False)
_SYNC_WRITE = Access(scope=Scope.SYNC, writes=True)
_ACTIVATIONS_READ = Access(scope=Scope.ACTIVATIONS, writes=False)
_ACTIVATIONS_WRITE = Access(scope=Scope.ACTIVATIONS, writes=True)

ROUTE_ACCESS: dict[str, Access] = {
    "GET /api/connections": _SYNC_READ,
    "POST /api/connections": SESSION_ONLY,
    "GET /api/connections/{id}": _SYNC_READ,
    "PATCH /api/connections/{id}": SESSION_ONLY,
    "DELETE /api/connections/{id}": SESSION_ONLY,
    "POST /api/connections/{id}/test": SESSION_ONLY,
    "POST /api/connections/{id}/sync/run": _SYNC_WRITE,
    "POST /api/connections/{id}/sync/run/{runId}/page": _SYNC_WRITE,
    "GET /api/connections/{id}/sync/run/{runId}/status": _SYNC_READ,
    "POST /api/connections/{id}/sync/run/{runId}/cancel": _SYNC_WRITE,
    "POST /api/connections/{id}/push/run": _ACTIVATIONS_WRITE,
    "POST /api/connections/{id}/push/run/{runId}/push": _ACTIVATIONS_WRITE,
    "GET /api/connections/{id}/push/run/{runId}/status": _ACTIVATIONS_READ,
    "POST /api/connections/{id}/push/run/{runId}/cancel": _ACTIVATIONS_WRITE,
    "GET /api/topics": Access(scope=Scope.TOPICS_READ, writes=False),
    "POST /api/topics": Access(scope=Scope.TOPICS_WRITE, writes=True),
    "GET /api/activations": _ACTIVATIONS_READ,
    "POST /api/activations/{id}/deactivate": _ACTIVATIONS_WRITE,
    "POST /api/activations/{id}/refresh": _ACTIVATIONS_WRITE,
    "POST /api/activations/bulk": _ACTIVATIONS_WRITE,
}
