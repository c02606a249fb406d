"""Organisation roles fail closed: every published spelling maps explicitly, anything else only reads."""

from __future__ import annotations

import pytest

from connections.domain.access import Access, Action, AuthType, Caller, CredentialSource, OrgRole, Scope, org_role
from connections.domain.authentication import Authenticator
from connections.domain.errors import Forbidden
from connections.http.caller_context import authorizer_context, caller_from_context
from connections.ports.session_verifier import SessionClaims
from tests.fakes.key_store import InMemoryApiKeys
from tests.fakes.session_verifiers import VALID_TOKEN, FixedSessions

SPELLINGS = {
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
# Missing, empty, another case, padded, custom or made-up roles, and claims that are not strings.
UNKNOWN = [None, "", "Admin", "ORG:ADMIN", " admin", "admin ", "org:billing", "superadmin", "org:", 1, ["admin"]]
ACCESS_RULES = {
    "session only": Access(None, Action.MANAGE_CONNECTIONS),
    "scoped write": Access(Scope.SYNC, Action.RUN),
    "scoped read": Access(Scope.SYNC, Action.READ),
}
SESSION_ONLY = ACCESS_RULES["session only"]


def session_with(claim: object) -> Caller:
    """The caller the authorizer makes of a session whose role claim is ``claim``, as a function sees it."""
    claims = SessionClaims("user_1", "org_a", claim)  # type: ignore[arg-type]  # a claim of any JSON type
    caller = Authenticator(InMemoryApiKeys(), lambda: FixedSessions(claims)).authenticate(VALID_TOKEN)
    return caller_from_context(authorizer_context(caller))


@pytest.mark.parametrize(("claim", "role"), SPELLINGS.items())
def test_each_published_spelling_maps_to_its_role(claim: str, role: OrgRole) -> None:
    assert org_role(claim) is role
    assert session_with(claim).role is role


@pytest.mark.parametrize("claim", UNKNOWN, ids=repr)
def test_missing_or_unknown_roles_have_no_role(claim: object) -> None:
    assert org_role(claim) is None
    assert session_with(claim).role is None


@pytest.mark.parametrize("claim", [*SPELLINGS, *UNKNOWN], ids=repr)
@pytest.mark.parametrize("rule", ACCESS_RULES)
def test_role_matrix(claim: object, rule: str) -> None:
    caller = session_with(claim)
    access = ACCESS_RULES[rule]
    role = SPELLINGS.get(claim) if isinstance(claim, str) else None
    allowed_by_rule: dict[str, set[OrgRole | None]] = {
        "session only": {OrgRole.OWNER, OrgRole.ADMIN},
        "scoped write": {OrgRole.OWNER, OrgRole.ADMIN, OrgRole.MEMBER},
        "scoped read": {OrgRole.OWNER, OrgRole.ADMIN, OrgRole.MEMBER, OrgRole.VIEWER, None},
    }
    allowed = allowed_by_rule[rule]

    if role in allowed:
        access.check(caller)  # reads always, runs for owner, admin and member, management for owner and admin
    else:
        with pytest.raises(Forbidden, match="organisation role"):
            access.check(caller)


def test_role_messages_say_why() -> None:
    with pytest.raises(Forbidden, match=r"^Your organisation role is read-only$"):
        SESSION_ONLY.check(session_with("org:viewer"))
    with pytest.raises(Forbidden, match="not recognised"):
        SESSION_ONLY.check(session_with("org:billing"))
    with pytest.raises(Forbidden, match=r"^Your organisation role \(member\) may not manage connections$"):
        SESSION_ONLY.check(session_with("org:member"))


def test_function_reads_only_the_authorizer_spellings_from_the_context() -> None:
    """The context carries the mapped role; a Clerk spelling there is not what the authorizer emits."""
    context = authorizer_context(Caller("org_a", "user_1", AuthType.SESSION, role=OrgRole.ADMIN))
    assert context["role"] == "admin"

    assert caller_from_context(context | {"role": "org:admin"}).role is None
    assert caller_from_context(context | {"role": "Admin"}).role is None
    assert caller_from_context(context | {"role": ""}).role is None


def test_context_without_a_credential_source_counts_as_cookie() -> None:
    context = authorizer_context(Caller("org_a", "user_1", AuthType.SESSION, role=OrgRole.ADMIN))
    assert context["credentialSource"] == "header"

    assert caller_from_context(context).credential_source is CredentialSource.HEADER
    del context["credentialSource"]
    assert caller_from_context(context).credential_source is CredentialSource.COOKIE
    assert caller_from_context(context | {"credentialSource": "Header"}).credential_source is CredentialSource.COOKIE
