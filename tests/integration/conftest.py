"""Integration fixtures: moto in-process with the table and key built from template.yaml, and the
real handlers reached through the API Gateway emulator (authorizer first, payload 2.0). Every answer
the client gets is checked against openapi.yaml (tests/support/openapi_contract.py)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from local.api_gateway import ApiGateway
from local.dev_keys import SigningKey
from local.lambda_container import reset_container_state
from local.provision import LocalResources, provision
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS
from tests.support.openapi_contract import check_response, outside_contract

TABLE_NAME = "connections-test"


@pytest.fixture(scope="session")
def token_issuer() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, token_issuer: SigningKey) -> Iterator[LocalResources]:
    with mock_aws():
        resources = provision(TABLE_NAME)
        monkeypatch.setenv("TABLE_NAME", resources.table_name)
        monkeypatch.setenv("CREDENTIALS_KEY_ARN", resources.key_arn)
        monkeypatch.setenv("ALLOWED_ORIGINS", "")  # set on every function (template Globals); empty: no foreign origin
        monkeypatch.setenv("CLERK_JWT_KEY", token_issuer.public_pem)
        monkeypatch.setenv("CLERK_AUTHORIZED_PARTIES", "http://localhost:3000")
        reset_container_state()
        yield resources
    reset_container_state()


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class ApiClient:
    """Calls the API through the gateway emulator, with an optional default token; each response must
    be one openapi.yaml describes unless ``check_contract`` is off."""

    def __init__(self, gateway: ApiGateway, token: str | None = None, *, check_contract: bool = True) -> None:
        self._gateway = gateway
        self.token = token
        self.check_contract = check_contract
        self.responses: list[ApiResponse] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        anonymous: bool = False,
    ) -> ApiResponse:
        sent = {"content-type": "application/json"} | (headers or {})
        bearer = None if anonymous else (token or self.token)
        if bearer and "authorization" not in {name.lower() for name in sent}:
            sent["authorization"] = f"Bearer {bearer}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
        result = self._gateway.handle(method, path, urlencode(query or {}), sent, body or b"")
        response = ApiResponse(result.status, result.headers, result.body.decode())
        self.responses.append(response)
        if self.check_contract:
            check_response(method, path, response.status, response.headers, response.text)
        return response

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, json_body=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def gateway() -> ApiGateway:
    return ApiGateway()


@pytest.fixture
def api(
    aws: LocalResources, gateway: ApiGateway, token_issuer: SigningKey, request: pytest.FixtureRequest
) -> ApiClient:
    """A client signed in as an admin of org_a."""
    return ApiClient(gateway, token_issuer.token("org_a"), check_contract=not outside_contract(request))


@pytest.fixture
def issue_api_key(aws: LocalResources):
    """Issue an API key for an organisation with the given scopes; returns the plaintext key."""
    from connections.domain.api_key_service import ApiKeyService
    from connections.wiring import api_key_repository

    def issue(org_id: str = "org_a", scopes: str = "sync", expires_at: str | None = None) -> str:
        key, _record = ApiKeyService(api_key_repository()).issue(org_id, "test key", scopes, expires_at)
        return key

    return issue


def inbound_connection(**overrides: Any) -> dict[str, Any]:
    """A valid custom_api inbound create body (the seed's TypeScript example)."""
    body: dict[str, Any] = {
        "name": "My Custom API",
        "platform": "custom_api",
        "direction": "inbound",
        "config": {
            "base_url": "https://api.example.com/segments",
            "items_path": "data.segments",
            "count_path": "data.total",
            "auth_type": "bearer",
        },
        "credentials": {"api_key": "ext_api_key_s3cr3t_value_123"},
    }
    body.update(overrides)
    return body


def create_topics(api: ApiClient, name_prefix: str, count: int) -> list[str]:
    """``count`` manual topics named ``<name_prefix> <n>``; their ids."""
    ids = []
    for number in range(count):
        created = api.post("/api/topics", {"topic_name": f"{name_prefix} {number}"})
        assert created.status == 201, created.text
        ids.append(str(created.json()["id"]))
    return ids


def create_inbound_connection(api: ApiClient, catalogue: Any, name: str = "Seller catalogue", **config: Any) -> str:
    """An inbound custom_api connection to a segment catalogue fake (its config, with ``config`` over it); its id."""
    body = {
        "name": name,
        "platform": "custom_api",
        "direction": "inbound",
        "config": catalogue.config(**config),
        "credentials": CATALOGUE_CREDENTIALS,
    }
    response = api.post("/api/connections", body)
    assert response.status == 201, response.text
    return str(response.json()["id"])


def create_outbound_connection(api: ApiClient, fake: Any, name: str = "Custom out") -> str:
    """An outbound custom_api connection to a platform fake (its outbound config and credentials); its id."""
    body = {
        "name": name,
        "platform": "custom_api",
        "direction": "outbound",
        "config": fake.outbound_config(),
        "credentials": fake.credentials,
    }
    response = api.post("/api/connections", body)
    assert response.status == 201, response.text
    return str(response.json()["id"])


def outbound_liveramp(**overrides: Any) -> dict[str, Any]:
    """The seed's LiveRamp create body."""
    body: dict[str, Any] = {
        "name": "LiveRamp Production",
        "platform": "liveramp",
        "direction": "outbound",
        "config": {
            "api_base_url": "https://api.liveramp.com",
            "token_url": "https://serviceaccounts.liveramp.com/authn/v1/oauth2/token",
            "data_source_location": "US",
            "default_cpm": 2.50,
            "currency": "USD",
        },
        "credentials": {"client_id": "lr_client_abc", "client_secret": "lr_secret_TOPSECRET_42", "org_id": "lr_org_17"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line the functions write (service logger as JSON, and any other logger), as text."""
    from connections.observability import logger as service_logger

    stream = io.StringIO()
    service_handler = logging.StreamHandler(stream)
    service_handler.setFormatter(service_logger.registered_formatter)
    other_handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    previous_level = root.level
    root.setLevel(logging.INFO)
    service_logger.addHandler(service_handler)
    root.addHandler(other_handler)
    yield stream
    root.removeHandler(other_handler)
    root.setLevel(previous_level)
    logging.getLogger(service_logger.name).removeHandler(service_handler)  # the Logger wraps this one


def synced_liveramp_topics(api: ApiClient, fake: Any, count: int) -> list[str]:
    """``count`` topics synced in from the LiveRamp fake's first-party segments (LiveRamp sells a
    Data Marketplace segment only on one of those; the topic's external_id names it); their ids."""
    from tests.fakes.platforms import sample_segments

    fake.first_party = {segment["id"]: segment for segment in sample_segments(count, "lr")}
    body = {
        "name": "LiveRamp first-party segments",
        "platform": "liveramp",
        "direction": "inbound",
        "config": fake.inbound_config() | {"token_url": fake.token_url},
        "credentials": fake.credentials,
    }
    created = api.post("/api/connections", body)
    assert created.status == 201, created.text
    connection_id = created.json()["id"]
    run_id = api.post(f"/api/connections/{connection_id}/sync/run").json()["runId"]
    for _ in range(100):
        status = api.get(f"/api/connections/{connection_id}/sync/run/{run_id}/status").json()
        if status["status"] != "running":
            break
        assert api.post(f"/api/connections/{connection_id}/sync/run/{run_id}/page").status == 200
    assert status["status"] == "completed" and status["successCount"] == count, status
    ids: list[str] = []
    for page in range(1, count // 100 + 2):
        listed = api.get("/api/topics", query={"connectionId": connection_id, "pageSize": "100", "page": str(page)})
        ids += [topic["id"] for topic in listed.json()["topics"]]
    assert len(ids) == count
    return ids
