"""Route access rules, token extraction and API-key authentication without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connections.domain.access import Access, Action, AuthType, Caller, CredentialSource, OrgRole, Scope
from connections.domain.api_keys import ApiKey, api_key_digest, generate_api_key, parse_scopes
from connections.domain.authentication import Authenticator, PresentedCredential, presented_credential
from connections.domain.errors import Forbidden, Unauthenticated
from connections.http.caller_context import authorizer_context, caller_from_context, rejection_context
from connections.http.route_access import ROUTE_ACCESS
from connections.ports.session_verifier import SessionClaims
from tests.fakes.key_store import InMemoryApiKeys
from tests.fakes.session_verifiers import FixedSessions

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_access_rules() -> None:
    sync_read = Access(Scope.SYNC, Action.READ)
    session_only = Access(None, Action.MANAGE_CONNECTIONS)
    key = Caller("org", "key_1", AuthType.API_KEY, frozenset({"sync"}))
    viewer = Caller("org", "user", AuthType.SESSION, role=OrgRole.VIEWER)
    admin = Caller("org", "user", AuthType.SESSION, role=OrgRole.ADMIN)

    sync_read.check(key)
    sync_read.check(viewer)
    session_only.check(admin)
    with pytest.raises(Forbidden):
        session_only.check(key)
    with pytest.raises(Forbidden):
        session_only.check(viewer)
    with pytest.raises(Forbidden):
        Access(Scope.ACTIVATIONS, Action.READ).check(key)


def test_route_table_matches_design() -> None:
    session_only = {route for route, access in ROUTE_ACCESS.items() if access.scope is None}
    assert session_only == {
        "POST /api/connections",
        "PATCH /api/connections/{id}",
        "DELETE /api/connections/{id}",
        "POST /api/connections/{id}/test",
        "POST /api/keys",
        "GET /api/keys",
        "DELETE /api/keys/{id}",
    }
    assert all(access.writes for route, access in ROUTE_ACCESS.items() if not route.startswith("GET"))
    # Every GET reads, except the key listing: it is key management (owner and admin only).
    reads = {route for route, access in ROUTE_ACCESS.items() if access.action is Action.READ}
    assert reads == {route for route in ROUTE_ACCESS if route.startswith("GET")} - {"GET /api/keys"}


def test_presented_credential_sources() -> None:
    header, cookie = CredentialSource.HEADER, CredentialSource.COOKIE
    assert presented_credential({"Authorization": "Bearer abc"}, []) == PresentedCredential("abc", header)
    assert presented_credential({}, ["a=1", "__session=jwt-value"]) == PresentedCredential("jwt-value", cookie)
    # With both, the header is the credential used, and so the source reported.
    both = presented_credential({"authorization": "bearer  xyz "}, ["__session=other"])
    assert both == PresentedCredential("xyz", header)
    for headers in ({"authorization": "Basic abc"}, {"authorization": "Bearer "}):
        with pytest.raises(Unauthenticated):
            presented_credential(headers, [])
    with pytest.raises(Unauthenticated):
        presented_credential({}, ["__session="])


def test_api_key_authentication() -> None:
    key = generate_api_key()
    record = ApiKey("key_1", "org_a", "ci", frozenset({"sync"}), "2026-01-01T00:00:00.000Z")
    expired = generate_api_key()
    expired_record = ApiKey("key_2", "org_a", "old", frozenset(), "2026-01-01T00:00:00.000Z", "2026-05-01T00:00:00Z")
    sessions = FixedSessions(SessionClaims("user_1", "org_a", "org:admin"))
    authenticator = Authenticator(
        InMemoryApiKeys({api_key_digest(key): record, api_key_digest(expired): expired_record}),
        lambda: sessions,
        clock=lambda: NOW,
    )

    caller = authenticator.authenticate(key)

    assert (caller.org_id, caller.auth_type, caller.scopes) == ("org_a", AuthType.API_KEY, frozenset({"sync"}))
    with pytest.raises(Unauthenticated, match="expired"):
        authenticator.authenticate(expired)
    with pytest.raises(Unauthenticated, match="Invalid API key"):
        authenticator.authenticate(generate_api_key())
    assert authenticator.authenticate("good.jwt.token").auth_type is AuthType.SESSION
    assert authenticator.authenticate(key).credential_source is CredentialSource.HEADER
    assert authenticator.authenticate(key, CredentialSource.COOKIE).credential_source is CredentialSource.COOKIE


def test_last_use_is_written_at_most_once_a_minute_and_never_for_refused_keys() -> None:
    key, revoked = generate_api_key(), generate_api_key()
    record = ApiKey("key_1", "org_a", "ci", frozenset({"sync"}), "2026-01-01T00:00:00.000Z")
    revoked_record = ApiKey("key_2", "org_a", "old", frozenset(), "2026-01-01T00:00:00.000Z", None, NOW.isoformat())
    keys = InMemoryApiKeys({api_key_digest(key): record, api_key_digest(revoked): revoked_record})
    now = [NOW]
    authenticator = Authenticator(keys, lambda: FixedSessions(SessionClaims("u", "o", None)), clock=lambda: now[0])

    for second in range(0, 60, 6):  # ten requests within the minute
        now[0] = NOW + timedelta(seconds=second)
        authenticator.authenticate(key)
    after_a_minute = keys.uses_recorded
    now[0] = NOW + timedelta(seconds=61)
    authenticator.authenticate(key)
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(revoked)

    assert after_a_minute == 1
    assert keys.uses_recorded == 2
    assert keys.find_by_digest(api_key_digest(key)).last_used_at == "2026-06-01T00:01:01.000Z"  # type: ignore[union-attr]
    assert keys.find_by_digest(api_key_digest(revoked)).last_used_at is None  # type: ignore[union-attr]


def test_session_without_organisation_is_forbidden() -> None:
    authenticator = Authenticator(InMemoryApiKeys({}), lambda: FixedSessions(SessionClaims("user_1", None, None)))

    with pytest.raises(Forbidden, match="no active organisation"):
        authenticator.authenticate("good.jwt.token")


def test_keys_have_256_bits_and_scopes_are_checked() -> None:
    keys = {generate_api_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(key.startswith("txadv_") and len(key) >= 6 + 43 for key in keys)
    assert parse_scopes("sync, activations") == {"sync", "activations"}
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scopes("sync,admin")


def test_authorizer_context_round_trip() -> None:
    caller = Caller("org_a", "key_1", AuthType.API_KEY, frozenset({"sync", "topics:read"}))
    member = Caller("org_a", "user_1", AuthType.SESSION, role=OrgRole.MEMBER, credential_source=CredentialSource.COOKIE)
    no_role = Caller("org_a", "user_1", AuthType.SESSION)

    assert caller_from_context(authorizer_context(caller)) == caller
    assert caller_from_context(authorizer_context(member)) == member
    assert caller_from_context(authorizer_context(no_role)) == no_role
    assert authorizer_context(member) | {"role": "member", "credentialSource": "cookie"} == authorizer_context(member)
    with pytest.raises(Unauthenticated):
        caller_from_context(None)
    with pytest.raises(Unauthenticated, match="bad"):
        caller_from_context(rejection_context("bad", 401))
    with pytest.raises(Forbidden):
        caller_from_context(rejection_context("no org", 403))
