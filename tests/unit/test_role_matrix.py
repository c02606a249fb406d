"""The role matrix (README "Authentication, roles and CSRF"): every route of template.yaml, called by
every role, a session without a known role and API keys with and without the route's scope, through the
shared resolver that every function is built with.

The expected matrix is written out here again, independently of ROLE_ACTIONS and ROUTE_ACCESS, so a
change to either that moves a route into another column fails until this table says so too.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from connections import settings
from connections.domain.access import Action, AuthType, Caller, CredentialSource, OrgRole, Scope
from connections.http.caller_context import authorizer_context
from connections.http.route_access import ROUTE_ACCESS
from local.sam_template import load_template

ROOT = Path(__file__).resolve().parents[2]

# The columns of the README's role matrix: which roles may do what.
READ = "read"
RUN = "run"
CONNECTIONS = "connections"
KEYS = "keys"
ROLES_ALLOWED: dict[str, set[OrgRole | None]] = {
    READ: {OrgRole.OWNER, OrgRole.ADMIN, OrgRole.MEMBER, OrgRole.VIEWER, None},
    RUN: {OrgRole.OWNER, OrgRole.ADMIN, OrgRole.MEMBER},
    CONNECTIONS: {OrgRole.OWNER, OrgRole.ADMIN},
    KEYS: {OrgRole.OWNER, OrgRole.ADMIN},
}
ACTION_OF_COLUMN = {
    READ: Action.READ,
    RUN: Action.RUN,
    CONNECTIONS: Action.MANAGE_CONNECTIONS,
    KEYS: Action.MANAGE_KEYS,
}

# Route -> (column, the API key scope that opens it; None: session only).
EXPECTED: dict[str, tuple[str, Scope | None]] = {
    "GET /api/connections": (READ, Scope.SYNC),
    "POST /api/connections": (CONNECTIONS, None),
    "GET /api/connections/{id}": (READ, Scope.SYNC),
    "PATCH /api/connections/{id}": (CONNECTIONS, None),
    "DELETE /api/connections/{id}": (CONNECTIONS, None),
    "POST /api/connections/{id}/test": (CONNECTIONS, None),
    "POST /api/connections/{id}/sync/run": (RUN, Scope.SYNC),
    "POST /api/connections/{id}/sync/run/{runId}/page": (RUN, Scope.SYNC),
    "GET /api/connections/{id}/sync/run/{runId}/status": (READ, Scope.SYNC),
    "POST /api/connections/{id}/sync/run/{runId}/cancel": (RUN, Scope.SYNC),
    "POST /api/connections/{id}/push/run": (RUN, Scope.ACTIVATIONS),
    "POST /api/connections/{id}/push/run/{runId}/push": (RUN, Scope.ACTIVATIONS),
    "GET /api/connections/{id}/push/run/{runId}/status": (READ, Scope.ACTIVATIONS),
    "POST /api/connections/{id}/push/run/{runId}/cancel": (RUN, Scope.ACTIVATIONS),
    "GET /api/topics": (READ, Scope.TOPICS_READ),
    "POST /api/topics": (RUN, Scope.TOPICS_WRITE),
    "GET /api/activations": (READ, Scope.ACTIVATIONS),
    "POST /api/activations/{id}/deactivate": (RUN, Scope.ACTIVATIONS),
    "POST /api/activations/{id}/refresh": (RUN, Scope.ACTIVATIONS),
    "POST /api/activations/bulk": (RUN, Scope.ACTIVATIONS),
    "POST /api/keys": (KEYS, None),
    "GET /api/keys": (KEYS, None),
    "DELETE /api/keys/{id}": (KEYS, None),
}

ROLES: list[OrgRole | None] = [*OrgRole, None]
ALL_SCOPES = frozenset(scope.value for scope in Scope)


@cache
def template_routes() -> list[str]:
    """``METHOD /path`` of every route of the template but the ANY routes (they answer 405/204)."""
    routes = set()
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi" and event["Properties"]["Method"].upper() != "ANY":
                routes.add(f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}")
    return sorted(routes)


def test_every_template_route_has_a_rule_and_a_row() -> None:
    unruled = [route for route in template_routes() if route not in ROUTE_ACCESS]
    assert not unruled, (
        f"No access rule for {unruled}: every call to them is refused with 403. Add each to ROUTE_ACCESS in "
        "layers/shared/connections/http/route_access.py naming its scope and Action, to EXPECTED in this "
        "test, and to the role matrix in README.md"
    )
    unexpected = [route for route in template_routes() if route not in EXPECTED]
    assert not unexpected, (
        f"{unexpected} have rules but no row in this test's EXPECTED: add each with its column "
        "(read, run, connections, keys) and scope, as the README's role matrix states"
    )
    assert sorted(ROUTE_ACCESS) == template_routes(), "ROUTE_ACCESS names routes template.yaml does not have"


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_each_rule_names_the_expected_action_and_scope(route: str) -> None:
    column, scope = EXPECTED[route]
    assert ROUTE_ACCESS[route].action is ACTION_OF_COLUMN[column]
    assert ROUTE_ACCESS[route].scope is scope


def test_the_role_table_is_the_matrix() -> None:
    from connections.domain.access import ROLE_ACTIONS, role_actions

    for role in ROLES:
        expected = {ACTION_OF_COLUMN[column] for column, roles in ROLES_ALLOWED.items() if role in roles}
        assert role_actions(role) == expected, role
    assert set(ROLE_ACTIONS) == set(OrgRole)


# -- through the shared resolver ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def resolver() -> Any:
    """A resolver as every function builds it, with one route per template route that answers 200."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TABLE_NAME", "connections")
        patch.setenv("ALLOWED_ORIGINS", "")
        settings.settings.cache_clear()
        from connections.http.resolver import build_resolver

        app = build_resolver()
    settings.settings.cache_clear()
    for route in template_routes():
        method, path = route.split(" ", 1)
        app.route(re.sub(r"\{(\w+)\}", r"<\1>", path), method)(lambda **_: {"reached": True})
    return app


def call(app: Any, route: str, caller: Caller) -> int:
    method, path = route.split(" ", 1)
    event = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": re.sub(r"\{\w+\}", "x_1", path),
        "headers": {"content-type": "application/json", "authorization": "Bearer token"},
        "requestContext": {
            "http": {"method": method},
            "stage": "$default",
            "authorizer": {"lambda": authorizer_context(caller)},
        },
        "body": "{}" if method != "GET" else None,
    }
    response = app.resolve(event, None)
    if response["statusCode"] == 403:
        assert json.loads(response["body"])["error"], route
    return int(response["statusCode"])


def session(role: OrgRole | None) -> Caller:
    return Caller("org_a", "user_1", AuthType.SESSION, role=role, credential_source=CredentialSource.HEADER)


def api_key(scopes: frozenset[str]) -> Caller:
    return Caller("org_a", "key_1", AuthType.API_KEY, scopes, credential_source=CredentialSource.HEADER)


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_sessions_by_role(resolver: Any, route: str) -> None:
    column, _scope = EXPECTED[route]
    answers = {role: call(resolver, route, session(role)) for role in ROLES}
    expected = {role: 200 if role in ROLES_ALLOWED[column] else 403 for role in ROLES}
    assert answers == expected


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_api_keys_by_scope(resolver: Any, route: str) -> None:
    _column, scope = EXPECTED[route]
    every_scope = call(resolver, route, api_key(ALL_SCOPES))
    if scope is None:
        assert every_scope == 403, "session-only routes refuse API keys, whatever their scopes"
        return
    assert every_scope == 200
    assert call(resolver, route, api_key(frozenset({scope.value}))) == 200
    assert call(resolver, route, api_key(ALL_SCOPES - {scope.value})) == 403
    assert call(resolver, route, api_key(frozenset())) == 403
