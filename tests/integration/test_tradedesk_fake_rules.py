"""The strict Trade Desk fake refuses each request the documented API would refuse (one test per rule),
in the documented error shape, and takes the documented requests: a fake that accepted anything
could not show an adapter wrong."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.tradedesk import (
    TTD_AUTH_PATH,
    TTD_ELEMENTS_PATH,
    TTD_QUERY_PATH,
    TTD_RATES_PATH,
    TradeDeskFake,
    tradedesk_fake,
)

PROVIDER = "acme-data"
ELEMENT = {
    "ProviderId": PROVIDER,
    "ProviderElementId": "auto-suv",
    "ParentElementId": "ROOT",
    "DisplayName": "Auto > SUV",
    "Buyable": True,
    "Description": "In-market for an SUV",
}
RATE = {
    "ProviderElementId": "ttd-0001",
    "BrandId": "dav2delvrai",
    "RateLevel": "System",
    "RateType": "CPM",
    "CPMRate": {"Amount": 1.5, "CurrencyCode": "USD"},
}
ABSENT = object()


@pytest.fixture
def fake() -> Iterator[TradeDeskFake]:
    with tradedesk_fake() as running:
        yield running


def send(
    fake: TradeDeskFake, method: str, path: str, body: Any, *, token: str | object | None = ABSENT
) -> tuple[int, Any]:
    """``body`` (JSON-encoded unless bytes) with the fake's API token unless another (or None) is given."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(fake.server.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    presented = fake.api_key if token is ABSENT else token
    if presented is not None:
        request.add_header("TTD-Auth", str(presented))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def assert_refused(answer: tuple[int, Any], status: int, code: str, words: str) -> None:
    got_status, document = answer
    assert got_status == status, document
    assert document["ErrorCode"] == code
    assert words in document["Message"]


def without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != key}


# ------------------------------------------------------------------------------------------ accepted
def test_the_documented_requests_are_taken(fake: TradeDeskFake) -> None:
    assert send(fake, "POST", TTD_ELEMENTS_PATH, ELEMENT)[0] == 200
    child = ELEMENT | {"ProviderElementId": "auto-suv-large", "ParentElementId": "auto-suv"}
    assert send(fake, "POST", TTD_ELEMENTS_PATH, child)[0] == 200
    rename = {"ProviderId": PROVIDER, "ProviderElementId": "auto-suv", "DisplayName": "Auto > SUVs"}
    assert send(fake, "PUT", TTD_ELEMENTS_PATH, rename)[0] == 200
    assert send(fake, "POST", TTD_RATES_PATH, {"ProviderId": PROVIDER, "DataRates": [RATE]})[0] == 200
    status, page = send(fake, "POST", TTD_QUERY_PATH, {"ProviderId": PROVIDER, "PageStartIndex": 0, "PageSize": 2})
    assert (status, len(page["Result"]), page["ResultCount"]) == (200, 2, 5)
    assert fake.elements["auto-suv"]["DisplayName"] == "Auto > SUVs"
    assert fake.elements["auto-suv-large"]["ParentElementId"] == "auto-suv"


def test_an_element_id_of_exactly_512_characters_is_taken(fake: TradeDeskFake) -> None:
    assert send(fake, "POST", TTD_ELEMENTS_PATH, ELEMENT | {"ProviderElementId": "e" * 512})[0] == 200


# ------------------------------------------------------------------------------------------- auth
@pytest.mark.parametrize("token", [None, "not-a-token-0000"], ids=["missing", "wrong"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", TTD_ELEMENTS_PATH, ELEMENT),
        ("PUT", TTD_ELEMENTS_PATH, {"ProviderId": PROVIDER, "ProviderElementId": "ttd-0001"}),
        ("POST", TTD_RATES_PATH, {"ProviderId": PROVIDER, "DataRates": [RATE]}),
        ("POST", TTD_QUERY_PATH, {"ProviderId": PROVIDER}),
    ],
    ids=["create", "update", "rates", "query"],
)
def test_every_call_needs_a_valid_ttd_auth_token(
    fake: TradeDeskFake, method: str, path: str, body: Any, token: str | None
) -> None:
    assert_refused(send(fake, method, path, body, token=token), 401, "AuthenticationFailed", "token")
    assert "auto-suv" not in fake.elements and fake.rate_batches == []


def test_authentication_refuses_a_wrong_login() -> None:
    with tradedesk_fake(login=True) as fake:
        wrong = {"Login": "ttd-user@example.com", "Password": "guess-0000", "TokenExpirationInMinutes": 60}
        assert_refused(send(fake, "POST", TTD_AUTH_PATH, wrong, token=None), 401, "AuthenticationFailed", "login")
        bad_minutes = wrong | {"Password": "ttd-pass-8h7g6f", "TokenExpirationInMinutes": "60"}
        assert_refused(
            send(fake, "POST", TTD_AUTH_PATH, bad_minutes, token=None), 400, "IncorrectContent", "TokenExpiration"
        )
        assert fake.tokens.issued == []


# ------------------------------------------------------------------------------------------ bodies
def test_a_body_that_is_not_json_is_refused(fake: TradeDeskFake) -> None:
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, b"{not json"), 400, "SerializationFailed", "JSON")
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, [ELEMENT]), 400, "SerializationFailed", "object")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", TTD_ELEMENTS_PATH, ELEMENT | {"Colour": "blue"}),
        ("PUT", TTD_ELEMENTS_PATH, {"ProviderId": PROVIDER, "ProviderElementId": "ttd-0001", "Price": 1}),
        ("POST", TTD_RATES_PATH, {"ProviderId": PROVIDER, "DataRates": [RATE], "Extra": 1}),
        ("POST", TTD_RATES_PATH, {"ProviderId": PROVIDER, "DataRates": [RATE | {"Price": 1}]}),
        ("POST", TTD_QUERY_PATH, {"ProviderId": PROVIDER, "Filter": "x"}),
    ],
    ids=["create", "update", "rates", "rate-row", "query"],
)
def test_unknown_fields_are_refused(fake: TradeDeskFake, method: str, path: str, body: Any) -> None:
    assert_refused(send(fake, method, path, body), 400, "IncorrectContent", "Unknown field")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", TTD_ELEMENTS_PATH, ELEMENT | {"ProviderId": "someone-else"}),
        ("PUT", TTD_ELEMENTS_PATH, {"ProviderId": "someone-else", "ProviderElementId": "ttd-0001"}),
        ("POST", TTD_RATES_PATH, {"ProviderId": "someone-else", "DataRates": [RATE]}),
        ("POST", TTD_QUERY_PATH, {"ProviderId": "someone-else"}),
    ],
    ids=["create", "update", "rates", "query"],
)
def test_another_providers_id_is_forbidden(fake: TradeDeskFake, method: str, path: str, body: Any) -> None:
    assert_refused(send(fake, method, path, body), 403, "IncorrectPermissions", "data provider")


def test_a_missing_provider_id_is_refused(fake: TradeDeskFake) -> None:
    assert_refused(
        send(fake, "POST", TTD_ELEMENTS_PATH, without(ELEMENT, "ProviderId")), 400, "MissingData", "ProviderId"
    )


# ------------------------------------------------------------------------------------------ create
@pytest.mark.parametrize("field", ["ProviderElementId", "ParentElementId", "DisplayName"])
def test_create_needs_each_required_field(fake: TradeDeskFake, field: str) -> None:
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, without(ELEMENT, field)), 400, "MissingData", field)
    assert "auto-suv" not in fake.elements


def test_create_needs_buyable_as_a_boolean(fake: TradeDeskFake) -> None:
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, without(ELEMENT, "Buyable")), 400, "MissingData", "Buyable")
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, ELEMENT | {"Buyable": "yes"}), 400, "MissingData", "Buyable")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ProviderElementId", 7),
        ("DisplayName", ""),
        ("DisplayName", ["Auto"]),
        ("Description", 3),
        ("ParentElementId", " "),
    ],
)
def test_create_refuses_fields_of_the_wrong_type(fake: TradeDeskFake, field: str, value: Any) -> None:
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, ELEMENT | {field: value}), 400, "IncorrectContent", field)


@pytest.mark.parametrize("field", ["ProviderElementId", "ParentElementId"])
def test_element_ids_are_at_most_512_characters(fake: TradeDeskFake, field: str) -> None:
    too_long = ELEMENT | {field: "e" * 513}
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, too_long), 400, "IncorrectContent", "at most 512")


def test_the_parent_must_be_root_or_an_element_of_the_provider(fake: TradeDeskFake) -> None:
    orphan = ELEMENT | {"ParentElementId": "no-such-element"}
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, orphan), 400, "IncorrectContent", "ParentElementId")


def test_an_element_that_exists_is_a_conflict(fake: TradeDeskFake) -> None:
    send(fake, "POST", TTD_ELEMENTS_PATH, ELEMENT)
    again = ELEMENT | {"DisplayName": "Other"}
    assert_refused(send(fake, "POST", TTD_ELEMENTS_PATH, again), 409, "IncorrectContent", "already exists")
    assert fake.elements["auto-suv"]["DisplayName"] == "Auto > SUV"


# ------------------------------------------------------------------------------------------ update
def test_an_update_names_an_existing_element(fake: TradeDeskFake) -> None:
    unknown = {"ProviderId": PROVIDER, "ProviderElementId": "no-such-element", "DisplayName": "X"}
    assert_refused(send(fake, "PUT", TTD_ELEMENTS_PATH, unknown), 404, "IncorrectContent", "not found")
    assert_refused(
        send(fake, "PUT", TTD_ELEMENTS_PATH, {"ProviderId": PROVIDER, "DisplayName": "X"}),
        400,
        "MissingData",
        "ProviderElementId",
    )


def test_an_update_cannot_change_the_parent(fake: TradeDeskFake) -> None:
    send(fake, "POST", TTD_ELEMENTS_PATH, ELEMENT | {"ProviderElementId": "auto"})
    moved = {"ProviderId": PROVIDER, "ProviderElementId": "ttd-0001", "ParentElementId": "auto"}
    assert_refused(send(fake, "PUT", TTD_ELEMENTS_PATH, moved), 400, "IncorrectContent", "cannot be changed")
    assert fake.elements["ttd-0001"]["ParentElementId"] == "ROOT"
    same = moved | {"ParentElementId": "ROOT", "DisplayName": "Renamed"}
    assert send(fake, "PUT", TTD_ELEMENTS_PATH, same)[0] == 200


def test_an_update_refuses_fields_of_the_wrong_type(fake: TradeDeskFake) -> None:
    renamed = {"ProviderId": PROVIDER, "ProviderElementId": "ttd-0001", "DisplayName": 5}
    assert_refused(send(fake, "PUT", TTD_ELEMENTS_PATH, renamed), 400, "IncorrectContent", "DisplayName")
    assert fake.elements["ttd-0001"]["DisplayName"] != 5


# ------------------------------------------------------------------------------------------- rates
@pytest.mark.parametrize(
    ("rates", "words"),
    [
        ([], "DataRates"),
        (None, "DataRates"),
        (["CPM"], "object"),
        ([RATE | {"ProviderElementId": "no-such-element"}], "ProviderElementId"),
        ([without(RATE, "ProviderElementId")], "ProviderElementId"),
        ([without(RATE, "RateLevel")], "RateLevel"),
        ([RATE | {"RateType": "Percent"}], "RateType"),
        ([RATE | {"CPMRate": {"Amount": -1, "CurrencyCode": "USD"}}], "Amount"),
        ([RATE | {"CPMRate": {"Amount": "1.5", "CurrencyCode": "USD"}}], "Amount"),
        ([RATE | {"CPMRate": {"Amount": 1.5, "CurrencyCode": "usd"}}], "CurrencyCode"),
        ([RATE | {"BrandId": ""}], "BrandId"),
    ],
    ids=[
        "empty",
        "missing",
        "not-an-object",
        "unknown-element",
        "no-element",
        "no-rate-level",
        "not-cpm",
        "negative",
        "text-amount",
        "currency",
        "empty-brand",
    ],
)
def test_rate_batches_are_checked_row_by_row(fake: TradeDeskFake, rates: Any, words: str) -> None:
    batch = {"ProviderId": PROVIDER} | ({} if rates is None else {"DataRates": rates})
    status, document = send(fake, "POST", TTD_RATES_PATH, batch)
    assert status == 400 and words in document["Message"], document
    assert fake.rate_batches == []


def test_refused_rate_rows_come_back_as_failed_lines_in_a_200(fake: TradeDeskFake) -> None:
    fake.refused_rates = {"ttd-0002"}
    rows = [RATE, RATE | {"ProviderElementId": "ttd-0002"}]
    status, document = send(fake, "POST", TTD_RATES_PATH, {"ProviderId": PROVIDER, "DataRates": rows})
    assert status == 200
    assert document["FailedLines"] == [
        {"ItemNumber": "1", "ErrorCode": "IncorrectContent", "Message": "CPM is below the provider floor"}
    ]


# ------------------------------------------------------------------------------------------- query
@pytest.mark.parametrize(
    "paging", [{"PageStartIndex": -1}, {"PageSize": 0}, {"PageSize": "10"}, {"PageStartIndex": True}]
)
def test_query_paging_must_be_counts(fake: TradeDeskFake, paging: dict[str, Any]) -> None:
    status, document = send(fake, "POST", TTD_QUERY_PATH, {"ProviderId": PROVIDER} | paging)
    assert (status, document["ErrorCode"]) == (400, "IncorrectContent")
