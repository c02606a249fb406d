"""The whole local stack (``python -m local.cli serve``: moto, authorizer, functions, HTTP server) in a
subprocess on free ports, once per test session (per xdist worker), stopped with its process group.

    from tests.e2e.local_stack import bearer, unique_org

    def test_list(local_stack):
        token = local_stack.session_token(unique_org())
        response = httpx.get(f"{local_stack.base_url}/api/connections", headers=bearer(token))

``local_stack.dev_api_key`` / ``dev_session_token`` are the credentials the server printed for
``org_dev``; ``local_stack.session_token(org, user, role)`` and ``local_stack.api_key(org, scopes)``
issue more for any organisation. The stack is shared by the whole session, so each test should use
organisations of its own (``unique_org()``). ``local_stack.log_tail()`` shows the server's output.

Every answer of a local stack's API is checked against openapi.yaml, unless the test is marked
``@pytest.mark.outside_contract("why")``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.local_stack import LocalStack, responses_checked_against_openapi, start_local_stack, stop
from tests.support.openapi_contract import outside_contract


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The running local stack; started on first use, stopped at the end of the session."""
    stack, process = start_local_stack(tmp_path_factory.mktemp("local_stack"))
    try:
        yield stack
    finally:
        stop(process)


@pytest.fixture(scope="session")
def base_url(local_stack: LocalStack) -> str:
    """The local API's base URL, e.g. ``http://127.0.0.1:54321``."""
    return local_stack.base_url


@pytest.fixture(autouse=True)
def responses_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """The test's HTTP answers from the API checked against openapi.yaml."""
    if outside_contract(request):
        yield
        return
    with responses_checked_against_openapi():
        yield
