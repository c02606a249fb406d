"""A strict fake of The Trade Desk's platform API v3 (third-party data taxonomy and rates) on 127.0.0.1.

It checks every request against what is documented (sources in
``connections/adapters/platforms/tradedesk.py``) and answers a refusal in the documented shape, an
HTTP status with ``{"ErrorCode", "Message"}``:

- every call but ``/v3/authentication`` carries a valid ``TTD-Auth`` token (401 ``AuthenticationFailed``);
- bodies are JSON objects with only the fields the endpoint takes (400 ``SerializationFailed`` /
  ``IncorrectContent``);
- ``ProviderId`` is the fake's data provider (403 ``IncorrectPermissions``);
- a created element has ``ProviderElementId`` (1 to 512 characters), ``ParentElementId`` (``ROOT`` or an
  existing element), ``DisplayName`` and ``Buyable`` (400 ``MissingData`` / ``IncorrectContent``); one
  that exists already is a 409;
- an update names an existing element (404) and never changes ``ParentElementId`` (400);
- a rate batch names existing elements with a CPM rate; rows it refuses come back as ``FailedLines``
  in a 200.

Like the other fakes, it also serves a paged listing at ``TTD_LISTING_PATH`` for the generic REST
source of inbound tests: The Trade Desk documents no such listing (its own is the POST query).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest

TTD_AUTH_PATH = "/v3/authentication"
TTD_QUERY_PATH = "/v3/thirdpartydata/query"
TTD_ELEMENTS_PATH = "/v3/thirdpartydata"
TTD_RATES_PATH = "/v3/datarate/batch"
TTD_LISTING_PATH = "/v3/segments"

ROOT = "ROOT"
MAX_ELEMENT_ID = 512
_ELEMENT_FIELDS = frozenset(
    {"ProviderId", "ProviderElementId", "ParentElementId", "DisplayName", "Buyable", "Description"}
)
_QUERY_FIELDS = frozenset({"ProviderId", "PageStartIndex", "PageSize"})
_RATE_FIELDS = frozenset({"ProviderElementId", "BrandId", "RateLevel", "RateType", "CPMRate"})
_AUTH_FIELDS = frozenset({"Login", "Password", "TokenExpirationInMinutes"})

Handler = Callable[[RecordedRequest], FakeResponse]


def refusal(status: int, code: str, message: str) -> FakeResponse:
    """The documented error shape."""
    return FakeResponse.json({"ErrorCode": code, "Message": message}, status)


class Refused(Exception):
    """A request the fake will not take; carries the answer."""

    def __init__(self, response: FakeResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _refuse(status: int, code: str, message: str) -> Refused:
    return Refused(refusal(status, code, message))


def _body(request: RecordedRequest, fields: frozenset[str]) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise _refuse(400, "SerializationFailed", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _refuse(400, "SerializationFailed", "The request body must be a JSON object")
    unknown = sorted(set(body) - fields)
    if unknown:
        raise _refuse(400, "IncorrectContent", f"Unknown field {unknown[0]}")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = True, limit: int | None = None) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _refuse(400, "MissingData", f"{name} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _refuse(400, "IncorrectContent", f"{name} must be a non-empty string")
    if limit is not None and len(value) > limit:
        raise _refuse(400, "IncorrectContent", f"{name} must be at most {limit} characters")
    return value


class TradeDeskFake:
    """``/v3/authentication``, the third-party data taxonomy and the data-rate batch, strictly checked."""

    def __init__(
        self,
        server: FakeHttpServer,
        *,
        login: bool = False,
        provider_id: str = "acme-data",
        ids_in_credentials: bool = False,
    ) -> None:
        self.server = server
        # Imported here: platforms.py re-exports this module's names.
        from tests.fakes.platforms import TokenStore, page_slice, sample_segments

        self.page_slice = page_slice
        self.tokens = TokenStore()
        self.provider_id = provider_id
        self.ids_in_credentials = ids_in_credentials
        self.api_key = "ttd-longlived-6b5a4c3d2e1f"
        self.credentials: dict[str, str] = (
            {"login": "ttd-user@example.com", "password": "ttd-pass-8h7g6f"} if login else {"api_key": self.api_key}
        )
        if ids_in_credentials:
            self.credentials["provider_id"] = provider_id
        self.elements: dict[str, dict[str, Any]] = {
            s["id"]: {
                "ProviderId": provider_id,
                "ProviderElementId": s["id"],
                "ParentElementId": ROOT,
                "DisplayName": s["name"],
                "Buyable": True,
                "Description": s["description"],
            }
            for s in sample_segments(3, "ttd")
        }
        self.rate_batches: list[dict[str, Any]] = []
        self.refused_rates: set[str] = set()  # ProviderElementIds whose rate lines come back as FailedLines
        server.route("POST", TTD_AUTH_PATH, self._checked(self._authenticate, authorise=False))
        server.route("POST", TTD_QUERY_PATH, self._checked(self._query))
        server.route("POST", TTD_ELEMENTS_PATH, self._checked(self._create))
        server.route("PUT", TTD_ELEMENTS_PATH, self._checked(self._update))
        server.route("POST", TTD_RATES_PATH, self._checked(self._rates))
        server.route("GET", TTD_LISTING_PATH, self._checked(self._listing))

    def outbound_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"api_base_url": self.server.url + "/v3", "default_cpm": 1.75}
        return config if self.ids_in_credentials else config | {"provider_id": self.provider_id}

    def inbound_config(self) -> dict[str, Any]:
        return {"base_url": self.server.url + TTD_LISTING_PATH, "items_path": "Result", "count_path": "ResultCount"}

    @property
    def config(self) -> dict[str, Any]:
        return self.inbound_config() | self.outbound_config()

    def token_requests(self) -> int:
        return self.server.count("POST", TTD_AUTH_PATH)

    def _checked(self, handler: Handler, *, authorise: bool = True) -> Handler:
        def answer(request: RecordedRequest) -> FakeResponse:
            if authorise:
                presented = request.header("ttd-auth")
                if presented != self.credentials.get("api_key") and not self.tokens.valid(presented):
                    return refusal(401, "AuthenticationFailed", "Authentication token expired or invalid")
            try:
                return handler(request)
            except Refused as refused:
                return refused.response

        return answer

    def _owned(self, body: dict[str, Any]) -> None:
        if _text(body, "ProviderId") != self.provider_id:
            raise _refuse(403, "IncorrectPermissions", "Not authorized for this data provider")

    def _authenticate(self, request: RecordedRequest) -> FakeResponse:
        body = _body(request, _AUTH_FIELDS)
        if body.get("Login") != self.credentials.get("login") or body.get("Password") != self.credentials.get(
            "password"
        ):
            return refusal(401, "AuthenticationFailed", "Invalid login or password")
        minutes = body.get("TokenExpirationInMinutes", 1440)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            raise _refuse(400, "IncorrectContent", "TokenExpirationInMinutes must be a positive integer")
        return FakeResponse.json({"Token": self.tokens.issue(minutes * 60)})

    def _query(self, request: RecordedRequest) -> FakeResponse:
        body = _body(request, _QUERY_FIELDS)
        self._owned(body)
        start, size = body.get("PageStartIndex", 0), body.get("PageSize", 100)
        for name, value, low in (("PageStartIndex", start, 0), ("PageSize", size, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise _refuse(400, "IncorrectContent", f"{name} must be an integer of at least {low}")
        listed = list(self.elements.values())
        return FakeResponse.json({"Result": listed[start : start + size], "ResultCount": len(listed)})

    def _create(self, request: RecordedRequest) -> FakeResponse:
        body = _body(request, _ELEMENT_FIELDS)
        self._owned(body)
        element_id = _text(body, "ProviderElementId", limit=MAX_ELEMENT_ID)
        parent = _text(body, "ParentElementId", limit=MAX_ELEMENT_ID)
        _text(body, "DisplayName")
        _text(body, "Description", required=False)
        if not isinstance(body.get("Buyable"), bool):
            raise _refuse(400, "MissingData", "Buyable is required (true or false)")
        if parent != ROOT and parent not in self.elements:
            raise _refuse(400, "IncorrectContent", f"ParentElementId {parent} is not an element of this provider")
        assert element_id is not None
        if element_id in self.elements:
            return refusal(409, "IncorrectContent", f"Element {element_id} already exists")
        self.elements[element_id] = body
        return FakeResponse.json(body)

    def _update(self, request: RecordedRequest) -> FakeResponse:
        body = _body(request, _ELEMENT_FIELDS)
        self._owned(body)
        element = self.elements.get(_text(body, "ProviderElementId", limit=MAX_ELEMENT_ID) or "")
        if element is None:
            return refusal(404, "IncorrectContent", "Element not found")
        if "ParentElementId" in body and body["ParentElementId"] != element["ParentElementId"]:
            raise _refuse(400, "IncorrectContent", "ParentElementId cannot be changed")
        _text(body, "DisplayName", required=False)
        _text(body, "Description", required=False)
        if "Buyable" in body and not isinstance(body["Buyable"], bool):
            raise _refuse(400, "IncorrectContent", "Buyable must be true or false")
        element.update(body)
        return FakeResponse.json(element)

    def _rates(self, request: RecordedRequest) -> FakeResponse:
        body = _body(request, frozenset({"ProviderId", "DataRates"}))
        self._owned(body)
        rates = body.get("DataRates")
        if not isinstance(rates, list) or not rates:
            raise _refuse(400, "MissingData", "DataRates must be a non-empty list")
        for rate in rates:
            self._check_rate(rate)
        self.rate_batches.append(body)
        failed_lines = [
            {"ItemNumber": str(number), "ErrorCode": "IncorrectContent", "Message": "CPM is below the provider floor"}
            for number, rate in enumerate(rates)
            if rate.get("ProviderElementId") in self.refused_rates
        ]
        # Like the real API: a 200 that lists the rows it refused.
        return FakeResponse.json({"BatchId": f"batch-{len(self.rate_batches)}", "FailedLines": failed_lines or None})

    def _check_rate(self, rate: Any) -> None:
        if not isinstance(rate, dict):
            raise _refuse(400, "IncorrectContent", "Each data rate must be an object")
        unknown = sorted(set(rate) - _RATE_FIELDS)
        if unknown:
            raise _refuse(400, "IncorrectContent", f"Unknown field {unknown[0]}")
        element_id = _text(rate, "ProviderElementId", limit=MAX_ELEMENT_ID)
        if element_id not in self.elements:
            raise _refuse(400, "IncorrectContent", f"ProviderElementId {element_id} is not an element of this provider")
        _text(rate, "BrandId", required=False)
        _text(rate, "RateLevel")
        if rate.get("RateType") != "CPM":
            raise _refuse(400, "IncorrectContent", "RateType must be CPM")
        cpm = rate.get("CPMRate")
        amount = cpm.get("Amount") if isinstance(cpm, dict) else None
        currency = cpm.get("CurrencyCode") if isinstance(cpm, dict) else None
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise _refuse(400, "IncorrectContent", "CPMRate.Amount must be a number of at least 0")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
            raise _refuse(400, "IncorrectContent", "CPMRate.CurrencyCode must be an ISO 4217 code")

    def _listing(self, request: RecordedRequest) -> FakeResponse:
        listed = list(self.elements.values())
        start, size = self.page_slice(request)
        return FakeResponse.json({"Result": listed[start : start + size], "ResultCount": len(listed)})


@contextmanager
def tradedesk_fake(**options: Any) -> Iterator[TradeDeskFake]:
    """A running Trade Desk fake (options: login=True for login + password credentials, provider_id,
    ids_in_credentials=True for the provider id in credentials instead of config)."""
    with FakeHttpServer() as server:
        yield TradeDeskFake(server, **options)
