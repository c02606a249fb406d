"""openapi.yaml's CreateConnectionRequest states exactly what the service checks about where config keys
and credentials apply: for sample bodies of every platform and direction, valid and invalid, the
schema and the service's validation give the same verdict (schemathesis generates bodies from the
schema, so a looser schema means valid-by-the-document bodies the service refuses)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from connections.domain.connection_config import CONFIG_KEYS, with_integers
from connections.domain.connection_requests import CreateConnectionRequest
from connections.domain.connection_service import _validate
from connections.domain.errors import InvalidInput
from connections.domain.platforms import Direction, Platform
from connections.domain.schedule_expression import schedule_problem
from connections.http.request_parsing import parse_body
from tests.unit.test_template import openapi

DOCUMENT_URI = "urn:connections:openapi:create"

CONFIG_VALUES: dict[str, Any] = {
    "base_url": "https://api.example.com",
    "items_path": "data.segments",
    "count_path": "data.total",
    "page_param": "page",
    "page_size_param": "per_page",
    "field_mappings": {"segment_name": "topic_name", "segment_id": "external_id"},
    "page_size": 100,
    "pagination": "page",
    "first_page": 1,
    "schedule": "rate(6 hours)",
    "api_base_url": "https://api.example.com/v1",
    "token_url": "https://auth.example.com/oauth/token",
    "data_source_location": "US",
    "default_cpm": 2.5,
    "currency": "USD",
    "template_key": "default",
    "auth_type": "none",
    "headers": {"X-Team": "ads"},
    "api_key_header": "X-Api-Key",
    "provider_id": "provider-1",
    "brand_id": "dav2delvrai",
    "parent_element_id": "acme-auto",
    "segment_type": "SYNDICATED",
    "allowed_platforms": ["THE_TRADE_DESK"],
    "permitted_use_cases": ["TARGETING"],
    "delivery": "s3",
    "s3_prefix": "taxonomy/",
    "s3_role_arn": "arn:aws:iam::123456789012:role/ix-writer",
    "s3_region": "us-east-1",
}
# Index Exchange delivery values the service and the schema must judge alike.
IX_DELIVERY: list[dict[str, Any]] = [
    {"delivery": "sftp"},
    {"s3_bucket": "Not_A_Bucket"},
    {"s3_prefix": "/rooted"},
    {"s3_prefix": "a//b"},
    {"s3_prefix": "a/../b"},
    {"s3_prefix": "p" * 513},
    {"s3_role_arn": "arn:aws:iam::12345:role/x"},
    {"s3_region": "mars"},
]
# LiveRamp segment types with and without an allowlist (CUSTOM and DIRECT need one, SYNDICATED refuses it).
LIVERAMP_TYPES: list[dict[str, Any]] = [
    {"segment_type": "CUSTOM"},
    {"segment_type": "DIRECT", "allowed_platforms": ["THE_TRADE_DESK"]},
    {"segment_type": "SYNDICATED", "allowed_platforms": ["THE_TRADE_DESK"]},
    {"segment_type": "syndicated"},
    {"permitted_use_cases": []},
    {"permitted_use_cases": ["targeting"]},
]
LOGINS: dict[Platform, list[dict[str, str]]] = {
    Platform.LIVERAMP: [
        {"username": "account", "password": "secret-password"},
        {"client_id": "client", "client_secret": "client-secret-1"},
        {"client_id": "client", "client_secret": "client-secret-1", "org_id": "org-1"},
        {"username": "account", "password": "secret-password", "org_id": "org-1"},
    ],
    Platform.TRADEDESK: [
        {"api_key": "ttd-api-key-1"},
        {"login": "me", "password": "secret-password"},
        {"api_key": "ttd-api-key-1", "provider_id": "p1"},
        {"api_key": "ttd-api-key-1", "provider_id": "provider-1", "brand_id": "dav2delvrai"},
        {"api_key": "ttd-api-key-1", "provider_id": "not an id"},
        {"provider_id": "provider-1"},
    ],
    Platform.INDEXEXCHANGE: [
        {"username": "me", "key": "ix-api-key-1"},
        {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "aws-secret-1"},
        {"aws_access_key_id": "AKIAEXAMPLE"},
    ],
}
CUSTOM_LOGINS: dict[str, list[dict[str, str]]] = {
    "bearer": [{"token": "bearer-token-1"}, {"api_key": "api-key-value-1"}],
    "basic": [{"username": "me", "password": "secret-password"}],
    "api_key": [{"api_key": "api-key-value-1"}],
    "none": [{}],
}
SCHEDULES = [
    "rate(g)",
    "rate(1 minute)",
    "rate(14 minutes)",
    "rate(15 minutes)",
    "rate(1 hour)",
    "rate(1 hours)",
    "rate(2 hour)",
    "rate(8784 hours)",
    "rate(8785 hours)",
    "rate(366 days)",
    "rate(367 days)",
    "rate(010 days)",
    "rate(6 hours)\n",
    "cron(0 2 * * ? *)",
    "cron(59 23 ? 12 7 2199)",
    "cron(* * * * ? *)",
    "cron(0 2 * * * *)",
    "cron(0 2 ? * ? *)",
    "cron(60 2 * * ? *)",
    "cron(0 2 32 * ? *)",
    "cron(0 2 * * ? 1969)",
]
HEADER_NAMES = ["X-Team", "X-Api-Key", "Authorization", "x-session-id", "Host", "TE", "X-TE", "Upgrade", "Cookie2"]
CREDENTIAL_MISTAKES: list[dict[str, str]] = [
    {"token": "bearer-token-1"},
    {"username": "me"},
    {"password": "secret-password"},
    {"api_key": "short"},
    {"key": "ix-api-key-1"},
    {"login": "me", "password": "short"},
    {"username": "me", "password": "secret-password", "extra": "value"},
    {"client_id": "client"},
]


@cache
def create_validator() -> Draft202012Validator:
    document = openapi()
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    schema = {"$ref": f"{DOCUMENT_URI}#/components/schemas/CreateConnectionRequest"}
    return Draft202012Validator(schema, registry=registry)


def schema_accepts(body: dict[str, Any]) -> bool:
    return create_validator().is_valid(body)


def service_accepts(body: dict[str, Any]) -> bool:
    """What the create function checks before it stores anything: the body model, then the rules."""
    try:
        request = parse_body(CreateConnectionRequest, json.dumps(body).encode())
        config = with_integers({key: value for key, value in request.config.items() if value is not None})
        _validate(request.platform, request.direction, config, request.credentials)
    except InvalidInput:
        return False
    return True


def base_config(platform: Platform, direction: Direction) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if direction.pulls:
        config["base_url"] = CONFIG_VALUES["base_url"]
    if platform is Platform.CUSTOM_API and direction.pushes:
        config["api_base_url"] = CONFIG_VALUES["api_base_url"]
    if platform is Platform.INDEXEXCHANGE and direction.pushes:
        config["s3_bucket"] = "ix-taxonomy"
    return config


def body(platform: Platform, direction: Direction, config: dict[str, Any], credentials: Any = None) -> dict[str, Any]:
    made: dict[str, Any] = {
        "name": "Sample",
        "platform": platform.value,
        "direction": direction.value,
        "config": config,
    }
    if credentials is not None:
        made["credentials"] = credentials
    return made


def sample_bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    for platform in Platform:
        for direction in Direction:
            config = base_config(platform, direction)
            label = f"{platform.value}/{direction.value}"
            yield f"{label} minimal", body(platform, direction, config)
            yield f"{label} no config", body(platform, direction, {})
            for key, value in CONFIG_VALUES.items():
                yield f"{label} +{key}", body(platform, direction, config | {key: value})
            yield (
                f"{label} field_mappings without topic_name",
                body(platform, direction, config | {"field_mappings": {"segment_id": "external_id"}}),
            )
            yield f"{label} empty field_mappings", body(platform, direction, config | {"field_mappings": {}})
            yield f"{label} unknown key", body(platform, direction, config | {"colour": "blue"})
            for liveramp in LIVERAMP_TYPES:
                yield f"{label} liveramp {liveramp}", body(platform, direction, config | liveramp)
            for delivery in IX_DELIVERY:
                yield f"{label} indexexchange {delivery}", body(platform, direction, config | delivery)
            without_bucket = {key: value for key, value in config.items() if key != "s3_bucket"}
            yield f"{label} without s3_bucket", body(platform, direction, without_bucket)
            for schedule in SCHEDULES:
                yield f"{label} schedule {schedule!r}", body(platform, direction, config | {"schedule": schedule})
            for name in HEADER_NAMES:
                yield f"{label} header {name!r}", body(platform, direction, config | {"headers": {name: "value"}})
            if platform is Platform.CUSTOM_API:
                for auth_type, logins in CUSTOM_LOGINS.items():
                    with_auth = config | {"auth_type": auth_type}
                    for login in logins + CREDENTIAL_MISTAKES:
                        yield (
                            f"{label} auth_type {auth_type} {sorted(login)}",
                            body(platform, direction, with_auth, login),
                        )
                yield (
                    f"{label} no auth_type with a token",
                    body(platform, direction, config, {"token": "bearer-token-1"}),
                )
                yield f"{label} no auth_type, no credentials", body(platform, direction, config, {})
            else:
                for login in LOGINS[platform] + CREDENTIAL_MISTAKES + [{}]:
                    yield f"{label} {sorted(login)}", body(platform, direction, config, login)
                    yield (
                        f"{label} auth_type bearer {sorted(login)}",
                        body(platform, direction, config | {"auth_type": "bearer"}, login),
                    )


SAMPLES = list(sample_bodies())


def provider_id_only_in_credentials(sample: dict[str, Any]) -> bool:
    """A pushing Trade Desk body whose provider id is in credentials only: the service takes it, the
    schema (which states only the config form, see the comment there) does not. Stricter, never looser."""
    return (
        sample["platform"] == "tradedesk"
        and sample["direction"] != "inbound"
        and "provider_id" not in sample["config"]
        and "provider_id" in (sample.get("credentials") or {})
    )


@pytest.mark.parametrize(("label", "sample"), SAMPLES, ids=[label for label, _ in SAMPLES])
def test_the_schema_and_the_service_agree_on_a_create_body(label: str, sample: dict[str, Any]) -> None:
    if provider_id_only_in_credentials(sample):
        assert not schema_accepts(sample), label
    else:
        assert schema_accepts(sample) == service_accepts(sample), label


def test_the_samples_hold_accepted_and_refused_bodies_of_every_platform_and_direction() -> None:
    for platform in Platform:
        for direction in Direction:
            prefix = f"{platform.value}/{direction.value} "
            verdicts = {service_accepts(sample) for label, sample in SAMPLES if label.startswith(prefix)}
            assert verdicts == {True, False}, prefix


def test_the_key_lists_of_each_direction_are_the_services() -> None:
    conditions = openapi()["components"]["schemas"]["CreateConnectionRequest"]["allOf"]

    def refused_on(direction: str) -> set[str]:
        for condition in conditions:
            if (
                condition["if"].get("properties", {}).get("direction") == {"const": direction}
                and len(condition["if"]["properties"]) == 1
            ):
                return {item["required"][0] for item in condition["then"]["properties"]["config"]["not"]["anyOf"]}
        raise AssertionError(f"no condition for {direction}")

    assert refused_on("inbound") == {key for key, spec in CONFIG_KEYS.items() if not spec.inbound}
    assert refused_on("outbound") == {key for key, spec in CONFIG_KEYS.items() if not spec.outbound}


@pytest.mark.parametrize(
    ("platform", "direction", "config", "credentials", "accepted"),
    [
        # The findings that made the schema exact: each was valid by the document, refused by the service.
        (Platform.CUSTOM_API, Direction.OUTBOUND, {"schedule": "rate(1 day)"}, None, False),
        (Platform.CUSTOM_API, Direction.INBOUND, {"default_cpm": 3, "currency": "USD"}, None, False),
        (Platform.CUSTOM_API, Direction.OUTBOUND, {}, {"token": "bearer-token-1"}, False),
        (Platform.LIVERAMP, Direction.OUTBOUND, {}, {"token": "bearer-token-1"}, False),
        (Platform.CUSTOM_API, Direction.INBOUND, {"field_mappings": {"id": "external_id"}}, None, False),
        # And one the document refused though the service takes it: API and token URLs pull too.
        (Platform.LIVERAMP, Direction.INBOUND, {"token_url": "https://auth.example.com/token"}, None, True),
    ],
)
def test_former_mismatches(
    platform: Platform, direction: Direction, config: dict[str, Any], credentials: Any, accepted: bool
) -> None:
    sample = body(platform, direction, base_config(platform, direction) | config, credentials)

    assert service_accepts(sample) is accepted
    assert schema_accepts(sample) is accepted


def schedule_pattern() -> str:
    return str(openapi()["components"]["schemas"]["ConnectionConfig"]["properties"]["schedule"]["pattern"])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.data())
def test_every_schedule_the_pattern_admits_is_one_the_service_takes(data: st.DataObject) -> None:
    schedule = data.draw(st.from_regex(schedule_pattern(), fullmatch=True))

    assert schedule_problem(schedule) is None, schedule


@pytest.mark.parametrize("schedule", ["cron(0,30 * * * ? *)", "cron(0/15 * ? * MON-FRI *)", "cron(0 6 L * ? *)"])
def test_cron_the_pattern_leaves_out_is_still_taken(schedule: str) -> None:
    # What the description says the service takes beyond the pattern.
    assert schedule_problem(schedule) is None
    assert not re.search(schedule_pattern(), schedule)
