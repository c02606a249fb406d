"""Every bad input is a 400 (or 413) in the API's error format, and nothing is written."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import ApiClient, inbound_connection, outbound_liveramp


def assert_nothing_written(api: ApiClient) -> None:
    assert api.get("/api/connections").json() == []


def fields(response) -> set[str]:
    return {detail["field"] for detail in response.json().get("details", [])}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "x", ', "Request body is not valid JSON"),
        (b"", "Request body must be a JSON object"),
        (b"   ", "Request body must be a JSON object"),
    ],
)
def test_malformed_or_empty_body(api: ApiClient, body: bytes, message: str) -> None:
    response = api.request("POST", "/api/connections", body=body)

    assert response.status == 400
    assert response.json() == {"error": message}
    assert_nothing_written(api)


def test_non_object_body(api: ApiClient) -> None:
    response = api.request("POST", "/api/connections", body=b"[1, 2]")

    assert response.status == 400
    assert response.json()["details"] == [{"field": "body", "message": "must be a JSON object"}]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"platform": "facebook"}, "platform"),
        ({"direction": "sideways"}, "direction"),
        ({"config": "not an object"}, "config"),
        ({"credentials": {"api_key": 12345}}, "credentials.api_key"),
        ({"credentials": "secret"}, "credentials"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_wrong_types_enums_and_unknown_fields(api: ApiClient, overrides: dict, field: str) -> None:
    response = api.post("/api/connections", inbound_connection(**overrides))

    assert response.status == 400
    body = response.json()
    assert body["error"] == "Invalid request body"
    assert field in fields(response)
    assert_nothing_written(api)


def test_missing_required_fields_are_listed(api: ApiClient) -> None:
    response = api.post("/api/connections", {"config": {}})

    assert response.status == 400
    assert {"name", "platform", "direction"} <= fields(response)
    assert all(detail["message"] == "is required" for detail in response.json()["details"])


@pytest.mark.parametrize(
    ("config", "field", "fragment"),
    [
        ({"base_url": "not a url"}, "config.base_url", "URL"),
        ({"base_url": "ftp://example.com/x"}, "config.base_url", "http(s) URL"),
        ({"base_url": "https://user:pw@example.com/x"}, "config.base_url", "user name or password"),
        ({"base_url": "https://example.com:99999/x"}, "config.base_url", "URL"),
        ({"items_path": "data..segments"}, "config.items_path", "dotted path"),
        ({"auth_type": "oauth"}, "config.auth_type", "one of"),
        ({"page_size": 0}, "config.page_size", "1 to 1000"),
        ({"page_size": "10"}, "config.page_size", "integer"),
        ({"field_mappings": {"title": "nonsense"}}, "config.field_mappings", "target"),
        ({"field_mappings": {"title": "description"}}, "config.field_mappings", "topic_name"),
        ({"headers": {"X-Api-Key": "abc"}}, "config.headers", "credentials"),
        ({"colour": "blue"}, "config.colour", "unknown config key 'colour'"),
        ({"default_cpm": 1.0}, "config.default_cpm", "outbound"),
    ],
)
def test_inbound_config_rules(api: ApiClient, config: dict, field: str, fragment: str) -> None:
    body = inbound_connection()
    body["config"] = {**body["config"], **config}

    response = api.post("/api/connections", body)

    assert response.status == 400, response.text
    problems = {detail["field"]: detail["message"] for detail in response.json()["details"]}
    assert field in problems
    assert fragment in problems[field]
    assert_nothing_written(api)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"default_cpm": -1}, "config.default_cpm"),
        ({"default_cpm": "2.50"}, "config.default_cpm"),
        ({"default_cpm": True}, "config.default_cpm"),
        ({"currency": "usd"}, "config.currency"),
        ({"currency": "XYZ"}, "config.currency"),
        ({"token_url": "javascript:alert(1)"}, "config.token_url"),
        ({"template_key": "Has Spaces"}, "config.template_key"),
        ({"base_url": "https://api.example.com"}, "config.base_url"),
        ({"provider_id": "p1"}, "config.provider_id"),
    ],
)
def test_outbound_config_rules(api: ApiClient, config: dict, field: str) -> None:
    body = outbound_liveramp()
    body["config"] = {**body["config"], **config}

    response = api.post("/api/connections", body)

    assert response.status == 400, response.text
    assert field in fields(response)


def test_inbound_connection_requires_base_url(api: ApiClient) -> None:
    response = api.post("/api/connections", inbound_connection(config={"items_path": "data"}))

    assert response.status == 400
    assert "config.base_url" in fields(response)


@pytest.mark.parametrize(
    ("platform", "credentials", "fragment"),
    [
        (
            "liveramp",
            {"client_id": "only-half"},
            "needs org_id + password + username or client_id + client_secret + org_id",
        ),
        ("liveramp", {"api_token": "x"}, "not used by platform liveramp"),
        ("tradedesk", {"login": "me"}, "needs api_key or login + password"),
        ("indexexchange", {"username": "me"}, "needs key + username or aws_access_key_id + aws_secret_access_key"),
    ],
)
def test_credential_shapes_per_platform(api: ApiClient, platform: str, credentials: dict, fragment: str) -> None:
    response = api.post("/api/connections", outbound_liveramp(platform=platform, credentials=credentials))

    assert response.status == 400
    messages = " ".join(detail["message"] for detail in response.json()["details"])
    assert fragment in messages
    # Messages name keys, never values.
    assert all(value not in response.text for value in credentials.values() if len(value) > 2)


def test_custom_api_credentials_follow_auth_type(api: ApiClient) -> None:
    basic = inbound_connection(credentials={"token": "t0ken-value"})
    basic["config"]["auth_type"] = "basic"

    response = api.post("/api/connections", basic)

    assert response.status == 400
    assert "not used by auth_type 'basic' (accepted: password, username)" in response.text


def test_oversized_body_is_413(api: ApiClient) -> None:
    body = inbound_connection(name="x" * 10)
    body["config"]["field_mappings"] = {"name": "topic_name"}
    payload = json.dumps(body).encode()[:-1] + b', "padding": "' + b"a" * (1024 * 1024) + b'"}'

    response = api.request("POST", "/api/connections", body=payload)

    assert response.status == 413
    assert "larger than" in response.json()["error"]
    assert_nothing_written(api)


def test_valid_platform_configs_are_accepted(api: ApiClient) -> None:
    bodies = [
        outbound_liveramp(credentials={"username": "acct-1", "password": "secret-key-1", "org_id": "org-9"}),
        outbound_liveramp(
            platform="tradedesk",
            config={"api_base_url": "https://api.thetradedesk.com/v3", "provider_id": "prov-1", "currency": "USD"},
            credentials={"api_key": "ttd-token"},
        ),
        outbound_liveramp(
            platform="indexexchange",
            config={"s3_bucket": "ix-taxonomy", "s3_prefix": "taxonomy/"},
            credentials={"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "aws-secret-42"},
        ),
        inbound_connection(
            config={
                "base_url": "https://api.example.com/v1/segments",
                "items_path": "results",
                "pagination": "offset",
                "page_param": "offset",
                "page_size_param": "limit",
                "page_size": 250,
                "first_page": 0,
                "auth_type": "api_key",
                "api_key_header": "X-Partner-Key",
                "headers": {"Accept-Language": "en"},
                "field_mappings": {"segment.name": "topic_name", "segment.id": "external_id"},
            },
            credentials={"api_key": "partner-key"},
        ),
        inbound_connection(config={"base_url": "https://open.example.com", "auth_type": "none"}, credentials=None),
    ]
    for body in bodies:
        if body.get("credentials") is None:
            body.pop("credentials", None)
        response = api.post("/api/connections", body)
        assert response.status == 201, (body["platform"], response.text)
    assert len(api.get("/api/connections").json()) == len(bodies)
