"""The integration client and the e2e HTTP calls hold every answer to openapi.yaml, and the opt-out
marker turns that off for one test only. The gateway and the server here answer what they are told,
so no function runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local.api_gateway import ApiGateway, GatewayResponse
from tests.e2e import local_stack
from tests.fakes.http_server import FakeHttpServer, FakeResponse
from tests.integration.conftest import ApiClient
from tests.support.openapi_contract import ContractViolation

JSON = {"content-type": "application/json"}


class ScriptedGateway(ApiGateway):
    """Answers every request with one fixed response."""

    def __init__(self, response: GatewayResponse) -> None:
        super().__init__(routes=[])
        self.response = response

    def handle(self, *request: Any, **named: Any) -> GatewayResponse:
        return self.response


def test_a_response_outside_the_contract_fails_the_call() -> None:
    client = ApiClient(ScriptedGateway(GatewayResponse(200, JSON, b'[{"id": "conn_1"}]')))

    with pytest.raises(ContractViolation, match=r"listConnections \(GET /api/connections\) 200: body at /0: 'name'"):
        client.get("/api/connections")


def test_an_undocumented_status_fails_the_call() -> None:
    client = ApiClient(ScriptedGateway(GatewayResponse(500, JSON, b'{"error": "Internal server error"}')))

    with pytest.raises(ContractViolation, match=r"deleteConnection \(DELETE /api/connections/\{id\}\): status 500"):
        client.delete("/api/connections/conn_1")


def test_a_conforming_response_passes() -> None:
    client = ApiClient(ScriptedGateway(GatewayResponse(404, JSON, b'{"error": "Connection not found"}')))

    assert client.get("/api/connections/conn_1").status == 404


@pytest.mark.outside_contract("checks that the marker turns the check off")
def test_the_marker_turns_the_check_off_for_its_test(api: ApiClient) -> None:
    assert api.check_contract is False


def test_the_api_fixture_checks_by_default(api: ApiClient) -> None:
    assert api.check_contract is True


def test_e2e_answers_of_the_api_are_checked_and_other_servers_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = FakeResponse.json([{"id": "conn_1"}])
    with FakeHttpServer() as api, FakeHttpServer() as platform:
        api.route("GET", "/api/connections", broken)
        platform.route("GET", "/api/connections", broken)
        monkeypatch.setattr(local_stack, "_API_BASE_URLS", {api.url})

        with local_stack.responses_checked_against_openapi():
            assert httpx.get(f"{platform.url}/api/connections").status_code == 200
            with pytest.raises(ContractViolation, match=r"listConnections \(GET /api/connections\) 200: body at /0"):
                httpx.get(f"{api.url}/api/connections")
            with httpx.Client(base_url=api.url) as client, pytest.raises(ContractViolation):
                client.get("/api/connections")
        assert httpx.get(f"{api.url}/api/connections").status_code == 200  # checks end with the block
