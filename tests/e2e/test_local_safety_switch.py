"""``CONNECTIONS_ALLOW_PRIVATE_TARGETS=0`` in the shell reaches the functions the local runner runs:
``connections-dev invoke`` then refuses a connection whose API listens on 127.0.0.1, as a deployed
function would, and sends it nothing; without the variable the local default lets it through."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.local_stack import PROJECT_ROOT, LocalStack, bearer, unique_org
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, CATALOGUE_PATH, catalogue_items, segment_catalogue


def connection_test_event(org_id: str, connection_id: str) -> dict[str, Any]:
    """The sample test-connection event, for this organisation's connection (no browser Origin)."""
    event = json.loads((PROJECT_ROOT / "events" / "test_connection.json").read_text())
    event["headers"].pop("origin")
    event["pathParameters"]["id"] = connection_id
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/connections/{connection_id}/test"
    event["requestContext"]["authorizer"]["lambda"]["orgId"] = org_id
    return event


def invoke(local_stack: LocalStack, event_path: Path, **environment: str) -> dict[str, Any]:
    """``connections-dev invoke TestConnectionFunction -e event_path``: the function's response body."""
    base = {
        name: value
        for name, value in local_stack.cli_environment().items()
        if name != "CONNECTIONS_ALLOW_PRIVATE_TARGETS"
    }
    completed = subprocess.run(
        [sys.executable, "-m", "local.cli", "invoke", "TestConnectionFunction", "-e", str(event_path)],
        cwd=PROJECT_ROOT,
        env=base | environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout)
    assert result["statusCode"] == 200, result
    return dict(json.loads(result["body"]))


def test_invoke_honours_an_explicit_0(local_stack: LocalStack, tmp_path: Path) -> None:
    org = unique_org()
    with segment_catalogue(catalogue_items(3)[0]) as catalogue:
        created = httpx.post(
            f"{local_stack.base_url}/api/connections",
            json={
                "name": "Local catalogue",
                "platform": "custom_api",
                "direction": "inbound",
                "config": catalogue.config(),
                "credentials": CATALOGUE_CREDENTIALS,
            },
            headers=bearer(local_stack.session_token(org)),
            timeout=30,
        )
        assert created.status_code == 201, created.text
        event_path = tmp_path / "test_connection.json"
        event_path.write_text(json.dumps(connection_test_event(org, created.json()["id"])))

        refused = invoke(local_stack, event_path, CONNECTIONS_ALLOW_PRIVATE_TARGETS="0")
        calls_when_refused = catalogue.server.count("GET", CATALOGUE_PATH)
        allowed = invoke(local_stack, event_path)

    assert refused["success"] is False
    assert refused["error"].startswith("Target address is not allowed"), refused
    assert calls_when_refused == 0
    assert allowed["success"] is True, allowed
    assert catalogue.server.count("GET", CATALOGUE_PATH) >= 1
