"""AWS API calls per endpoint, by service and operation, cold (first call of a container) and warm.

Requests go through the in-process API Gateway emulator (authorizer, then the function) against moto
in this process. Every botocore client call is counted, including those of the AWS Encryption SDK,
which builds its own botocore session.

Run alone: ``.venv/bin/python bench/bench_call_counts.py`` (prints the markdown section).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
for _path in (PROJECT_ROOT, LAYER_PATH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

TABLE_NAME = "connections-bench"
ORG_FOR_SESSION = "org_bench_session"
ORG_FOR_API_KEY = "org_bench_api_key"
AUTHORIZED_PARTY = "http://localhost:3000"
SERVICES = ("DynamoDB", "KMS")
EVENTS_DIR = PROJECT_ROOT / "events"

from bench.harness import Call, bench_environment, counted_api_calls, new_container  # noqa: E402


def sample_create_body() -> dict[str, Any]:
    """The create sample's body (a custom API with a bearer key)."""
    event = json.loads((EVENTS_DIR / "create_connection.json").read_text())
    return dict(json.loads(event["body"]))


def store_connection(org_id: str) -> str:
    """A connection without credentials, written straight to the table (not counted); its id."""
    from connections.domain.connection import Connection
    from connections.domain.identifiers import CONNECTION_PREFIX, new_id
    from connections.domain.platforms import ConnectionStatus, Direction, Platform
    from connections.wiring import connection_repository

    body = sample_create_body()
    connection = Connection(
        id=new_id(CONNECTION_PREFIX),
        org_id=org_id,
        name="Stored for the bench",
        platform=Platform(body["platform"]),
        direction=Direction(body["direction"]),
        config=body["config"],
        status=ConnectionStatus.ACTIVE,
        created_at="2026-02-25T10:00:00.000Z",
        updated_at="2026-02-25T10:00:00.000Z",
    )
    connection_repository().create(connection, None, max_per_org=20)
    return connection.id


@dataclass(frozen=True)
class Endpoint:
    """A request: its label, method, path (``{id}`` filled with a freshly stored connection) and body."""

    label: str
    method: str
    path: str
    body: dict[str, Any] | None = None


def endpoints() -> list[Endpoint]:
    with_credentials = sample_create_body()
    without_credentials = {key: value for key, value in with_credentials.items() if key != "credentials"}
    return [
        Endpoint("GET /api/connections (list)", "GET", "/api/connections"),
        Endpoint("POST /api/connections (with credentials)", "POST", "/api/connections", with_credentials),
        Endpoint("POST /api/connections (without credentials)", "POST", "/api/connections", without_credentials),
        Endpoint("GET /api/connections/{id}", "GET", "/api/connections/{id}"),
        Endpoint("PATCH /api/connections/{id} (name only)", "PATCH", "/api/connections/{id}", {"name": "Renamed"}),
        Endpoint(
            "PATCH /api/connections/{id} (with credentials)",
            "PATCH",
            "/api/connections/{id}",
            {"credentials": dict(with_credentials["credentials"])},
        ),
        Endpoint("DELETE /api/connections/{id}", "DELETE", "/api/connections/{id}"),
    ]


@dataclass
class Measured:
    label: str
    caller: str
    cold_status: str
    warm_status: str
    cold: list[Call]
    warm: list[Call]


def measure_twice(label: str, caller: str, prepare: Callable[[], Callable[[], str]]) -> Measured:
    """Count the calls of one request in a new container, then of the same request once caches are warm.

    ``prepare`` stores what the request needs (not counted) and returns the request, which answers
    its status.
    """
    results = []
    for is_cold in (True, False):
        request = prepare()
        if is_cold:
            new_container()
        with counted_api_calls() as calls:
            status = request()
        results.append((status, list(calls)))
    (cold_status, cold), (warm_status, warm) = results
    return Measured(label, caller, cold_status, warm_status, cold, warm)


def describe(calls: list[Call], service: str) -> str:
    operations = Counter(operation for called_service, operation, _seconds in calls if called_service == service)
    if not operations:
        return "0"
    names = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in sorted(operations.items()))
    return f"{sum(operations.values())} ({names})"


def cells(measured: Measured) -> list[str]:
    """Status and per-service cells; cold and warm shown apart only where they differ."""
    status = measured.cold_status
    if measured.warm_status != measured.cold_status:
        status = f"cold {measured.cold_status} / warm {measured.warm_status}"
    row = [status]
    for service in SERVICES:
        cold, warm = describe(measured.cold, service), describe(measured.warm, service)
        row.append(cold if cold == warm else f"cold: {cold}<br>warm: {warm}")
    return row


def render(rows: list[Measured]) -> str:
    others = sorted({service for row in rows for service, _operation, _seconds in row.cold + row.warm} - set(SERVICES))
    table = [
        "| Endpoint | Caller | Status | DynamoDB calls (operations) | KMS calls (operations) |",
        "|---|---|---|---|---|",
    ]
    table += [f"| {row.label} | {row.caller} | {' | '.join(cells(row))} |" for row in rows]
    return "\n".join(
        [
            "## AWS calls per endpoint",
            "",
            "Each request goes through the API Gateway emulator (`local/api_gateway.py`): the Lambda",
            "authorizer, then the function, in this process against moto (`mock_aws`), with the table and",
            "key built from template.yaml. Every call of every botocore client is counted by wrapping",
            "`BaseClient._make_api_call`, so the AWS Encryption SDK's own KMS client is counted too; a",
            "counted call is one API operation (botocore's retries, if any, are not counted again).",
            "",
            "- **Cold**: the first request after the container's cached settings, clients, services and",
            "  KMS data-key cache are dropped; **warm**: the same request again in that container. A cell",
            "  shows both only where they differ.",
            "- Rows with a caller count the whole request, authorizer included; the authorizer rows show",
            "  its share. The connection that get/update/delete act on is stored beforehand, uncounted; the",
            "  warm request acts on the same connection as the cold one (delete: on a second one). Create",
            "  bodies are the create sample's, with and without its `credentials`.",
            "- API keys carry the `sync` scope: reads are open to them, writes are session only (403).",
            "",
            *table,
            "",
            f"Calls to other services: {', '.join(others) if others else 'none'}.",
        ]
    )


def run() -> str:
    """Count AWS calls per endpoint; the markdown section."""
    with bench_environment(allow_private_targets=False), warnings.catch_warnings():
        # Endpoints that add no metric make Powertools warn on every request; it says nothing here.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        from moto import mock_aws

        with mock_aws():
            return render(_measure_all())


def _measure_all() -> list[Measured]:
    from local.api_gateway import AUTHORIZER_DIR, ApiGateway, LambdaContextStub, load_handler
    from local.dev_keys import SigningKey
    from local.provision import provision

    issuer = SigningKey.generate()
    resources = provision(TABLE_NAME)
    os.environ.update(
        {
            "TABLE_NAME": resources.table_name,
            "CREDENTIALS_KEY_ARN": resources.key_arn,
            "ALLOWED_ORIGINS": "",
            "CLERK_JWT_KEY": issuer.public_pem,
            "CLERK_AUTHORIZED_PARTIES": AUTHORIZED_PARTY,
        }
    )
    new_container()
    from connections.domain.api_key_service import ApiKeyService
    from connections.wiring import api_key_repository

    api_key, _record = ApiKeyService(api_key_repository()).issue(ORG_FOR_API_KEY, "call count bench", "sync")
    gateway = ApiGateway()
    callers = {
        "session": (ORG_FOR_SESSION, lambda: issuer.token(ORG_FOR_SESSION)),
        "API key": (ORG_FOR_API_KEY, lambda: api_key),
    }

    def request_for(endpoint: Endpoint, org_id: str, token: Callable[[], str]) -> Callable[[], Callable[[], str]]:
        stored: list[str] = []

        def prepare() -> Callable[[], str]:
            # The warm request acts on the same connection as the cold one, except that a deleted one is gone.
            if "{id}" in endpoint.path and (not stored or endpoint.method == "DELETE"):
                stored.append(store_connection(org_id))
            path = endpoint.path.replace("{id}", stored[-1]) if stored else endpoint.path
            headers = {"authorization": f"Bearer {token()}", "content-type": "application/json"}
            body = json.dumps(endpoint.body).encode() if endpoint.body is not None else b""

            def send() -> str:
                return str(gateway.handle(endpoint.method, path, "", headers, body).status)

            return send

        return prepare

    def authorizer_alone(token: Callable[[], str]) -> Callable[[], Callable[[], str]]:
        sample = json.loads((EVENTS_DIR / "authorizer.json").read_text())

        def prepare() -> Callable[[], str]:
            event = copy.deepcopy(sample)
            event["headers"]["authorization"] = f"Bearer {token()}"

            def send() -> str:
                decision = load_handler(AUTHORIZER_DIR)(event, LambdaContextStub("authorizer"))
                return "authenticated" if decision["context"].get("authenticated") else "refused"

            return send

        return prepare

    rows = [
        measure_twice("Authorizer alone", caller, authorizer_alone(token)) for caller, (_org, token) in callers.items()
    ]
    for endpoint in endpoints():
        for caller, (org_id, token) in callers.items():
            rows.append(measure_twice(endpoint.label, caller, request_for(endpoint, org_id, token)))
        print(f"call counts: {endpoint.label} done", file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    print(run())
