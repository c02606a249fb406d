"""What each function's init imports and builds (Lambda imports the handler module at cold start, before
the first request): read endpoints, the list endpoints and the authorizer do without pydantic, the
Encryption SDK, httpx, the boto3 package and the services they never build, but make their DynamoDB
client at init; the functions that handle credentials make their KMS client there too, from the same
botocore session; the Tracer patches botocore alone. Counted in a fresh interpreter, with tracing on
as on Lambda."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Imported by the init of a function that reads or acts by id without validating a body or query.
NOT_AT_INIT_OF_READS = (
    "pydantic",
    "boto3",
    "aws_encryption_sdk",
    "httpx",
    "aws_xray_sdk.ext.httpx",
    "connections.adapters.dynamodb.push_repository",
    "connections.adapters.dynamodb.topic_repository",
    "connections.domain.connection_requests",
    "connections.domain.topic_requests",
    "connections.domain.activation_requests",
)
READ_FUNCTIONS = ("authorizer", "get_connection", "get_sync_status", "get_push_status", "delete_connection")
# Patched at init by the Tracer: botocore, and nothing else X-Ray knows.
PATCH_ONLY = "aws_xray_sdk.ext.botocore"


# What the list endpoints never load, at init or on their first request: they validate their query
# without pydantic, and listing topics never classifies one.
NOT_IN_LISTS = ("pydantic", "boto3", "aws_encryption_sdk", "httpx", "connections.adapters.classifier.rule_based")
LIST_FUNCTIONS = ("list_connections", "list_topics")
CREDENTIAL_FUNCTIONS = ("create_connection", "update_connection", "test_connection", "start_sync_run")

# Printed by the child after init: its modules, the clients made (by service) and the sessions they use.
STATE = (
    "from connections.adapters import aws_clients;"
    "from connections.adapters.dynamodb import table_client;"
    "import connections.wiring as wiring;"
    "cipher = wiring.credential_cipher.cache_info().currsize and wiring.credential_cipher();"
    "kms = [c for c in (cipher._materials.master_key_provider._regional_clients.values() if cipher else [])];"
    "made = ['dynamodb'] * table_client.dynamodb_client.cache_info().currsize + ['kms'] * len(kms);"
    "print(json.dumps({'modules': sorted(sys.modules), 'clients': made, 'sessions': len(SESSIONS)}))"
)
# Counts the botocore sessions made (each loads the endpoint rules and service list again).
COUNT_SESSIONS = (
    "import botocore.session;"
    "SESSIONS = [];"
    "_init = botocore.session.Session.__init__;"
    "botocore.session.Session.__init__ = lambda self, *a, **k: (SESSIONS.append(1), _init(self, *a, **k))[1];"
)


def state_after_init(function: str) -> dict:
    script = (
        "import json, sys, importlib;"
        f"sys.path[:0] = [{str(ROOT / 'functions' / function)!r}, {str(ROOT / 'layers' / 'shared')!r}];"
        + COUNT_SESSIONS
        + "importlib.import_module('app');"
        + STATE
    )
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("POWERTOOLS_TRACE", "PYTHONPATH"))
    } | {
        "TABLE_NAME": "connections",
        "ALLOWED_ORIGINS": "",
        "CREDENTIALS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/test",
        "AWS_DEFAULT_REGION": "us-east-1",
        # What Lambda sets: the Tracer is on and patches at init.
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
        "AWS_LAMBDA_FUNCTION_NAME": function,
    }
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment, cwd=ROOT
    )
    state: dict = json.loads(completed.stdout.strip().splitlines()[-1])
    return state


def modules_after_init(function: str) -> set[str]:
    return set(state_after_init(function)["modules"])


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_a_read_function_init_imports_only_what_it_uses(function: str) -> None:
    state = state_after_init(function)
    modules = set(state["modules"])
    assert "connections.wiring" in modules  # the handler's real init ran
    assert sorted(name for name in NOT_AT_INIT_OF_READS if name in modules) == []
    # Made at init, not on the first request; the authorizer's session path never uses DynamoDB.
    assert state["clients"] == ([] if function == "authorizer" else ["dynamodb"])
    assert state["sessions"] == (0 if function == "authorizer" else 1)


@pytest.mark.parametrize("function", LIST_FUNCTIONS)
def test_a_list_function_init_does_without_pydantic_and_makes_its_client(function: str) -> None:
    state = state_after_init(function)
    assert "connections.domain.list_filters" in state["modules"]
    assert sorted(name for name in NOT_IN_LISTS if name in state["modules"]) == []
    assert state["clients"] == ["dynamodb"]


@pytest.mark.parametrize("function", CREDENTIAL_FUNCTIONS)
def test_a_function_that_handles_credentials_makes_its_clients_at_init(function: str) -> None:
    state = state_after_init(function)
    assert "aws_encryption_sdk" in state["modules"]
    assert state["clients"] == ["dynamodb", "kms"]
    assert state["sessions"] == 1  # the Encryption SDK's KMS client comes from the functions' session


API_FUNCTIONS = sorted(
    path.parent.name for path in (ROOT / "functions").glob("*/app.py") if "build_resolver" in path.read_text()
)


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_an_api_function_init_does_without_powertools_event_handler(function: str) -> None:
    # The package's __init__ loads every Powertools resolver; connections.http.routing does the routing.
    modules = modules_after_init(function)
    assert "connections.http.routing" in modules
    assert sorted(name for name in modules if name.startswith("aws_lambda_powertools.event_handler")) == []


def test_the_tracer_patches_botocore_alone() -> None:
    modules = modules_after_init("list_connections")
    assert f"{PATCH_ONLY}.patch" in modules
    # Each library X-Ray patches has its aws_xray_sdk.ext.<library>.patch module.
    patched = sorted(
        name.removesuffix(".patch")
        for name in modules
        if name.startswith("aws_xray_sdk.ext.") and name.endswith(".patch")
    )
    assert patched == [PATCH_ONLY]


def test_a_function_that_calls_platforms_traces_httpx_when_it_builds_its_client() -> None:
    script = (
        "import sys; sys.path[:0] = ['layers/shared'];"
        "from connections import wiring; wiring.platform_clients();"
        "print('aws_xray_sdk.ext.httpx.patch' in sys.modules)"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("POWERTOOLS_TRACE")} | {
        "TABLE_NAME": "connections",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "test_connection",
    }
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment, cwd=ROOT
    )
    assert completed.stdout.strip().splitlines()[-1] == "True"
