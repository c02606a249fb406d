"""openapi.yaml states the request values the service accepts, so that a request valid by the schema is
not refused (schemathesis's positive-data check in tests/e2e/test_openapi_conformance.py)."""

from __future__ import annotations

from typing import Any

from connections.domain.currencies import ISO_4217_CODES
from tests.unit.test_template import openapi


def schemas() -> dict[str, Any]:
    return openapi()["components"]["schemas"]


def test_config_currency_lists_exactly_the_accepted_iso_4217_codes() -> None:
    currency = schemas()["ConnectionConfig"]["properties"]["currency"]

    assert all(isinstance(code, str) for code in currency["enum"])
    assert set(currency["enum"]) == set(ISO_4217_CODES)
    assert "pattern" not in currency


def test_a_page_request_may_name_no_page_with_null() -> None:
    page = schemas()["SyncPageRequest"]["properties"]["page"]

    assert page["type"] == ["integer", "null"]
