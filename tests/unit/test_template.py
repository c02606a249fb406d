"""Checks that template.yaml, openapi.yaml and events/ describe the same API, with least privilege.

Everything is derived from the template, so functions added later are checked without editing
this file: a new route must appear in openapi.yaml, a new function needs its sample event, and
its policies are held to the same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from local.sam_template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
OPENAPI = ROOT / "openapi.yaml"
EVENTS = ROOT / "events"

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DYNAMODB_WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
}
# Managed policies a function may carry; anything broader must be written as statements.
ALLOWED_MANAGED_POLICIES = {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@cache
def openapi() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text())


@cache
def sam_policy_templates() -> dict[str, Any]:
    data = resources.files("samtranslator").joinpath("policy_templates_data/policy_templates.json")
    return json.loads(data.read_text())["Templates"]


def resources_of_type(type_name: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == type_name}


def functions() -> dict[str, dict[str, Any]]:
    return resources_of_type("AWS::Serverless::Function")


def function_dir(function: dict[str, Any]) -> str:
    return Path(function["Properties"]["CodeUri"]).name


def routes_of(function: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of every HttpApi event of a function."""
    events = function["Properties"].get("Events", {}) or {}
    return [
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in events.values()
        if event["Type"] == "HttpApi"
    ]


def environment_of(function: dict[str, Any]) -> dict[str, Any]:
    """Environment variables after SAM merges Globals.Function into the function."""
    globals_env = template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own_env = function["Properties"].get("Environment", {}).get("Variables", {})
    return {**globals_env, **own_env}


def authorizer_function_ids() -> set[str]:
    ids = set()
    for api in resources_of_type("AWS::Serverless::HttpApi").values():
        for authorizer in api["Properties"].get("Auth", {}).get("Authorizers", {}).values():
            arn = authorizer.get("FunctionArn", {})
            if "Fn::GetAtt" in arn:
                ids.add(arn["Fn::GetAtt"][0])
    return ids


def statements_of(function: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every IAM statement a function's Policies produce, SAM policy templates expanded."""
    policies = function["Properties"].get("Policies", [])
    if not isinstance(policies, list):
        policies = [policies]
    for policy in policies:
        if isinstance(policy, str):
            assert policy in ALLOWED_MANAGED_POLICIES, f"managed policy {policy} grants more than needed"
            continue
        if "Statement" in policy:
            statements = policy["Statement"]
            yield from statements if isinstance(statements, list) else [statements]
            continue
        for name, parameters in policy.items():
            definition = sam_policy_templates()[name]["Definition"]
            for statement in definition["Statement"]:
                # Keep the template's actions; the parameters stand in for its resources.
                yield {**statement, "Resource": parameters}


def actions_of(statement: dict[str, Any]) -> set[str]:
    actions = statement.get("Action", [])
    return {actions} if isinstance(actions, str) else set(actions)


def referenced_ids(node: Any) -> set[str]:
    """Logical ids named by Ref, Fn::GetAtt or ${...} inside Fn::Sub anywhere in node."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(match.split(".", 1)[0] for match in re.findall(r"\$\{([^}!]+)\}", text))
                if isinstance(value, list):
                    found.update(referenced_ids(value[1]))
            else:
                found.update(referenced_ids(value))
    elif isinstance(node, list):
        for item in node:
            found.update(referenced_ids(item))
    return found


def policy_references(function: dict[str, Any]) -> set[str]:
    return referenced_ids(list(statements_of(function)))


def actions_on(function: dict[str, Any], prefix: str) -> set[str]:
    return {a for s in statements_of(function) for a in actions_of(s) if a.startswith(prefix)}


def template_routes() -> set[tuple[str, str]]:
    """The API's operations: every route but the ANY routes that answer the methods a path lacks."""
    return {route for function in functions().values() for route in routes_of(function) if route[0] != "ANY"}


def catch_all_routes() -> dict[str, str]:
    """Path -> function id of every ANY route."""
    return {
        path: function_id
        for function_id, function in functions().items()
        for method, path in routes_of(function)
        if method == "ANY"
    }


FUNCTION_IDS = sorted(functions())


# --------------------------------------------------------------------------------------------
# (a) openapi.yaml and the template describe the same routes
# --------------------------------------------------------------------------------------------
def test_template_has_routes() -> None:
    assert template_routes(), "no HttpApi events found in template.yaml"


def test_openapi_routes_equal_template_routes() -> None:
    documented = {
        (method.upper(), path) for path, item in openapi()["paths"].items() for method in item if method in HTTP_METHODS
    }
    assert documented == template_routes(), (
        f"only in openapi.yaml: {sorted(documented - template_routes())}; "
        f"only in template.yaml: {sorted(template_routes() - documented)}"
    )


def test_each_route_is_served_by_one_function() -> None:
    all_routes = [route for function in functions().values() for route in routes_of(function)]
    assert len(all_routes) == len(set(all_routes))


def test_openapi_session_only_routes_do_not_accept_api_keys() -> None:
    for path, item in openapi()["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            schemes = {name for requirement in operation["security"] for name in requirement}
            assert "x-scopes" in operation, f"{method.upper()} {path} has no x-scopes"
            if operation.get("x-session-only"):
                assert "apiKey" not in schemes and operation["x-scopes"] == [], f"{method.upper()} {path}"
            else:
                assert "apiKey" in schemes and operation["x-scopes"], f"{method.upper()} {path}"


def test_every_path_has_one_catch_all_route_to_the_method_not_allowed_function() -> None:
    """A method a path lacks is 405 with Allow (API Gateway alone answers 404), on exactly the API's paths."""
    catch_all = catch_all_routes()
    any_routes = [route for function in functions().values() for route in routes_of(function) if route[0] == "ANY"]

    assert set(catch_all) == set(openapi()["paths"]) == {path for _, path in template_routes()}
    assert len(any_routes) == len(catch_all)
    assert set(catch_all.values()) == {"MethodNotAllowedFunction"}
    assert routes_of(functions()["MethodNotAllowedFunction"]) == [("ANY", path) for path in catch_all]


def test_allow_headers_name_the_methods_openapi_yaml_documents() -> None:
    from connections.http.method_not_allowed import allowed_methods

    for path, item in openapi()["paths"].items():
        documented = tuple(sorted(method.upper() for method in item if method in HTTP_METHODS))
        assert allowed_methods(path) == documented, path


def test_method_not_allowed_function_has_no_permissions_and_a_log_group() -> None:
    function = functions()["MethodNotAllowedFunction"]

    assert not list(statements_of(function))
    assert "Environment" not in function["Properties"]
    log_group = template()["Resources"]["MethodNotAllowedFunctionLogGroup"]["Properties"]
    assert log_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${MethodNotAllowedFunction}"}


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_every_function_has_a_log_group_with_retention(function_id: str) -> None:
    groups = {
        spec["Properties"]["LogGroupName"]["Fn::Sub"]: spec["Properties"]
        for spec in resources_of_type("AWS::Logs::LogGroup").values()
        if isinstance(spec["Properties"].get("LogGroupName"), dict)
    }
    assert groups[f"/aws/lambda/${{{function_id}}}"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_openapi_access_is_what_the_resolver_enforces() -> None:
    """x-scopes, x-session-only and x-action document the resolver's route table (unlisted routes are refused)."""
    from connections.http.route_access import ROUTE_ACCESS

    for method, path in sorted(template_routes()):
        access = ROUTE_ACCESS.get(f"{method} {path}")
        assert access is not None, f"{method} {path} is missing from ROUTE_ACCESS, so every call is refused"
        operation = openapi()["paths"][path][method.lower()]
        assert operation["x-scopes"] == ([] if access.scope is None else [access.scope.value]), f"{method} {path}"
        assert operation["x-session-only"] is (access.scope is None), f"{method} {path}"
        assert operation["x-action"] == access.action.value, f"{method} {path}"


# --------------------------------------------------------------------------------------------
# (b) one sample event per function, matching its route
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_function_has_sample_event(function_id: str) -> None:
    function = functions()[function_id]
    path = EVENTS / f"{function_dir(function)}.json"
    assert path.is_file(), f"{function_id} has no {path.relative_to(ROOT)}"
    event = json.loads(path.read_text())

    routes = routes_of(function)
    if routes:
        assert event["version"] == "2.0"
        assert event["routeKey"] in {f"{method} {route}" for method, route in routes}
        assert event["requestContext"]["routeKey"] == event["routeKey"]
        method, route = event["routeKey"].split(" ", 1)
        if method == "ANY":  # a method the path has no route of its own for
            assert (event["requestContext"]["http"]["method"], route) not in template_routes()
        else:
            assert event["requestContext"]["http"]["method"] == method
        assert event["requestContext"]["stage"] == "$default"
        expected_path = route.format(**event.get("pathParameters", {}))
        assert event["rawPath"] == event["requestContext"]["http"]["path"] == expected_path
        assert all(name == name.lower() for name in event["headers"])
        caller = event["requestContext"]["authorizer"]["lambda"]
        assert caller["authenticated"] is True and caller["orgId"]
        if "body" in event:
            json.loads(event["body"])
    elif function_id in authorizer_function_ids():
        assert event["version"] == "2.0"
        assert event["type"] == "REQUEST"
        method, route = event["routeKey"].split(" ", 1)
        assert (method, route) in template_routes()
        assert event["routeArn"].endswith(f"/$default/{method}{route}")


# --------------------------------------------------------------------------------------------
# (c) least privilege
# --------------------------------------------------------------------------------------------
READ_ONLY_FUNCTION_IDS = sorted(
    function_id
    for function_id, function in functions().items()
    if routes_of(function) and all(method == "GET" for method, _ in routes_of(function))
)


def test_there_are_read_only_functions() -> None:
    assert READ_ONLY_FUNCTION_IDS


@pytest.mark.parametrize("function_id", READ_ONLY_FUNCTION_IDS)
def test_read_routes_cannot_write_or_use_keys(function_id: str) -> None:
    function = functions()[function_id]
    assert not actions_on(function, "dynamodb:") & DYNAMODB_WRITE_ACTIONS
    assert not actions_on(function, "kms:")
    assert "CredentialsKey" not in policy_references(function)


@pytest.mark.parametrize("function_id", sorted(authorizer_function_ids()))
def test_authorizer_writes_only_the_last_use_of_api_keys(function_id: str) -> None:
    """Its one write is lastUsedAt on API-key lookup items: UpdateItem bound to leading keys APIKEY#*
    and to the key and lastUsedAt attributes, without returning values."""
    function = functions()[function_id]
    assert not actions_on(function, "kms:")
    writing = [s for s in statements_of(function) if actions_of(s) & DYNAMODB_WRITE_ACTIONS]
    assert [actions_of(statement) for statement in writing] == [{"dynamodb:UpdateItem"}]
    assert writing[0]["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["APIKEY#*"]},
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", "lastUsedAt"]},
        "StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"},
    }


def test_only_functions_given_the_key_may_use_it() -> None:
    with_key_env = {fid for fid, f in functions().items() if "CREDENTIALS_KEY_ARN" in environment_of(f)}
    with_key_policy = {fid for fid, f in functions().items() if "CredentialsKey" in policy_references(f)}
    with_kms_actions = {fid for fid, f in functions().items() if actions_on(f, "kms:")}
    assert with_key_env, "no function handles credentials"
    assert with_key_env == with_key_policy == with_kms_actions


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_statements_name_their_resources(function_id: str) -> None:
    for statement in statements_of(functions()[function_id]):
        assert statement.get("Effect", "Allow") == "Allow"
        resource = statement.get("Resource")
        assert resource not in ("*", ["*"]), f"{function_id} has a statement on every resource"
        refs = referenced_ids(resource)
        for action in actions_of(statement):
            if action.startswith("dynamodb:"):
                assert refs <= {"ConnectionsTable"} and refs, f"{function_id}: {action} on {resource}"
            if action.startswith("kms:"):
                assert refs == {"CredentialsKey"}, f"{function_id}: {action} on {resource}"


def test_only_the_functions_that_reach_index_exchange_may_assume_a_role() -> None:
    # A connection's config.s3_role_arn writes its taxonomy files: the connection test checks the
    # bucket, push batches and activation refreshes (one or in bulk) write to it. No other function
    # assumes anything.
    assuming = {fid for fid, f in functions().items() if actions_on(f, "sts:")}

    assert assuming == {
        "TestConnectionFunction",
        "PushBatchFunction",
        "RefreshActivationFunction",
        "BulkActivationsFunction",
    }
    for fid in assuming:
        assert actions_on(functions()[fid], "sts:") == {"sts:AssumeRole"}, fid


def test_kms_statements_are_bound_to_the_credential_encryption_context() -> None:
    from connections.adapters.kms_credential_cipher import encryption_context

    context = encryption_context("org_x", "conn_x")
    for function_id, function in functions().items():
        for statement in statements_of(function):
            if not any(action.startswith("kms:") for action in actions_of(statement)):
                continue
            condition = statement.get("Condition", {})
            allowed_keys = condition["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"]
            assert set(allowed_keys) == set(context), function_id
            assert condition["StringEquals"]["kms:EncryptionContext:purpose"] == context["purpose"]


# --------------------------------------------------------------------------------------------
# (d) data at rest
# --------------------------------------------------------------------------------------------
def test_table_is_on_demand_with_pitr_and_ttl() -> None:
    table = template()["Resources"]["ConnectionsTable"]
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_credentials_key_rotates_and_outlives_the_stack_like_the_table() -> None:
    key = template()["Resources"]["CredentialsKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


# --------------------------------------------------------------------------------------------
# (e) build settings
# --------------------------------------------------------------------------------------------
def test_layer_builds_for_python313_on_arm64() -> None:
    layers = resources_of_type("AWS::Serverless::LayerVersion")
    assert layers
    for layer in layers.values():
        # lambda_build/Makefile: arm64 wheels for 3.13 and bytecode (tests/unit/test_artifact_build.py).
        assert layer["Metadata"] == {
            "BuildMethod": "makefile",
            "ContextPath": "lambda_build",
            "BuildArchitecture": "arm64",
        }
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    makefile = (Path(__file__).resolve().parents[2] / "lambda_build" / "Makefile").read_text()
    assert "LAYER_PLATFORM ?= manylinux2014_aarch64" in makefile
    assert "build-SharedLayer:" in makefile


def test_every_function_is_built_with_bytecode() -> None:
    for function_id, function in functions().items():
        assert function.get("Metadata") == {"BuildMethod": "makefile", "ContextPath": "lambda_build"}, function_id
        assert function_id.endswith("Function")  # lambda_build/Makefile's build-%Function target


def test_functions_share_runtime_architecture_and_layer() -> None:
    function_globals = template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Layers"] == [{"Ref": "SharedLayer"}]
    for function_id, function in functions().items():
        properties = function["Properties"]
        assert "Layers" not in properties, f"{function_id} would list the shared layer twice"
        assert properties.get("Runtime", "python3.13") == "python3.13"
        assert properties["CodeUri"] == f"functions/{function_dir(function)}/"


# --------------------------------------------------------------------------------------------
# The authorizer contract (routes.md): every request reaches the authorizer, never cached.
# --------------------------------------------------------------------------------------------
def test_authorizer_sees_every_request_uncached() -> None:
    for api in resources_of_type("AWS::Serverless::HttpApi").values():
        auth = api["Properties"]["Auth"]
        authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
        assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
        assert authorizer["EnableSimpleResponses"] is True
        # Only ReauthorizeEvery: any header/query/context source would make API Gateway answer
        # 401 itself when it is missing, and a TTL above 0 would reuse one caller's result.
        assert authorizer["Identity"] == {"ReauthorizeEvery": 0}
        assert authorizer["EnableFunctionDefaultPermissions"] is True


def test_cors_allows_credentials_only_for_named_origins() -> None:
    parameters = template()["Parameters"]
    for api in resources_of_type("AWS::Serverless::HttpApi").values():
        cors = api["Properties"]["CorsConfiguration"]["Fn::If"][1]
        assert cors["AllowCredentials"] is True
        origins_parameter = cors["AllowOrigins"]["Fn::Split"][1]["Ref"]
        pattern = parameters[origins_parameter]["AllowedPattern"]
        assert re.fullmatch(pattern, parameters[origins_parameter]["Default"])
        assert not re.fullmatch(pattern, "*")
        assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(cors["AllowHeaders"])
