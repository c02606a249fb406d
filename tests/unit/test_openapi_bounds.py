"""openapi.yaml states the bounds the request models enforce, so a schema-driven client (or
schemathesis) neither sends what is refused nor is refused what the document allows."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from connections.domain import list_filters
from connections.domain.activation_requests import StartPushRequest
from connections.domain.list_cursor import MAX_CURSOR_LENGTH
from connections.domain.list_filters import TOPIC_QUERY_BOUNDS, TopicFilters
from connections.domain.topic_requests import CreateTopicRequest

ROOT = Path(__file__).resolve().parents[2]
BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())


def page_request(monkeypatch: pytest.MonkeyPatch) -> type[BaseModel]:
    from connections import settings

    # The handler checks its settings at import, as at a Lambda init.
    for name, value in {"TABLE_NAME": "connections", "ALLOWED_ORIGINS": "", "CREDENTIALS_KEY_ARN": "arn:key"}.items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    spec = importlib.util.spec_from_file_location("process_sync_page_app", ROOT / "functions/process_sync_page/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PageRequest


def model_bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's bounds from pydantic's schema (the non-null branch of an optional field)."""
    branches = [branch for branch in schema.get("anyOf", [schema]) if branch.get("type") != "null"]
    [branch] = branches
    bounds = {key: branch[key] for key in BOUNDS if key in branch}
    # Constraints beside a validator (StrictInt, StorableFloat) are listed under their Field names.
    bounds |= {json_name: branch[name] for name, json_name in (("ge", "minimum"), ("le", "maximum")) if name in branch}
    if "items" in branch:
        bounds["items"] = {key: branch["items"][key] for key in BOUNDS if key in branch["items"]}
    return bounds


def document_bounds(schema: dict[str, Any]) -> dict[str, Any]:
    bounds = {key: schema[key] for key in BOUNDS if key in schema}
    if "items" in schema:
        bounds["items"] = {key: schema["items"][key] for key in BOUNDS if key in schema["items"]}
    return bounds


@pytest.mark.parametrize(
    ("model", "schema_name"),
    [(CreateTopicRequest, "CreateTopicRequest"), (StartPushRequest, "StartPushRequest"), (None, "SyncPageRequest")],
)
def test_request_bodies_state_the_models_bounds(
    openapi: dict, model: type[BaseModel] | None, schema_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model or page_request(monkeypatch)
    documented = openapi["components"]["schemas"][schema_name]["properties"]

    for name, schema in model.model_json_schema()["properties"].items():
        assert document_bounds(documented[name]) == model_bounds(schema), f"{schema_name}.{name}"


def test_topic_query_parameters_state_the_bounds_the_list_checks(openapi: dict) -> None:
    # GET /api/topics validates its query without pydantic (list_filters.py), from TOPIC_QUERY_BOUNDS.
    documented = {
        parameter["name"]: parameter["schema"] for parameter in openapi["paths"]["/api/topics"]["get"]["parameters"]
    }
    fields = [field.name for field in dataclasses.fields(TopicFilters)]

    assert sorted(documented) == sorted(fields)
    for name in fields:
        if "$ref" in documented[name]:
            continue  # an enum
        assert document_bounds(documented[name]) == TOPIC_QUERY_BOUNDS.get(name, {}), f"/api/topics {name}"


def test_the_activation_query_states_the_filters_bounds(openapi: dict) -> None:
    # The activation filters are plain code (no pydantic at the listing's init): their bounds by name.
    documented = {p["name"]: p["schema"] for p in openapi["paths"]["/api/activations"]["get"]["parameters"]}

    assert documented["connectionId"]["maxLength"] == list_filters.MAX_FILTER_ID_LENGTH
    assert documented["platform"]["maxLength"] == list_filters.MAX_PLATFORM_LENGTH
    assert (documented["page"]["minimum"], documented["page"]["maximum"]) == (1, list_filters.MAX_LIST_PAGE)
    for name in ("limit", "pageSize"):  # pageSize: limit's former name, read as limit
        assert (documented[name]["maximum"], documented[name]["default"]) == (
            list_filters.MAX_ACTIVATION_PAGE_SIZE,
            list_filters.DEFAULT_ACTIVATION_PAGE_SIZE,
        ), name
    assert documented["cursor"]["maxLength"] == MAX_CURSOR_LENGTH
    assert documented["status"]["$ref"].endswith("/ActivationStatus")


def test_an_empty_patch_is_outside_the_update_schema(openapi: dict) -> None:
    # PATCH {} is a 400 ("at least one field to change"), so the document must not allow it.
    assert openapi["components"]["schemas"]["UpdateConnectionRequest"]["minProperties"] == 1
