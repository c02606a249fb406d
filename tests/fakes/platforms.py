"""Fake LiveRamp, The Trade Desk, Index Exchange and custom REST APIs on 127.0.0.1.

Each fake is a ``FakeHttpServer`` with the platform's token endpoint (tokens with a lifetime that
the fake enforces, and that tests can expire early), the platform's segment endpoints, and auth
checks on every call. Faults come from the server's fault queues, by the path constants below:

    with liveramp_fake() as fake:
        fake.server.faults("POST", LIVERAMP_TOKEN_PATH).status(503, retry_after=0)
        destination = factory.destination("liveramp", fake.config, fake.credentials, "conn_x")

``fake.config`` suits a bidirectional connection (inbound and outbound keys, all valid config);
``inbound_config()`` / ``outbound_config()`` give one direction. ``fake.credentials`` match what the
fake accepts. Every fake also serves a paged segment listing for inbound tests.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest
from tests.fakes.indexexchange_taxonomy import TaxonomyInbox

# Re-exported: tests import every platform fake from here.
from tests.fakes.liveramp import LIVERAMP_SEGMENTS_PATH as LIVERAMP_SEGMENTS_PATH
from tests.fakes.liveramp import LIVERAMP_TOKEN_PATH as LIVERAMP_TOKEN_PATH
from tests.fakes.liveramp import LiveRampFake as LiveRampFake

# The Trade Desk's strict fake has its own module; its names stay importable from here.
from tests.fakes.tradedesk import (  # noqa: F401
    TTD_AUTH_PATH,
    TTD_ELEMENTS_PATH,
    TTD_LISTING_PATH,
    TTD_QUERY_PATH,
    TTD_RATES_PATH,
    TradeDeskFake,
    tradedesk_fake,
)

IX_TOKEN_PATH = "/auth/oauth/token"
IX_SEGMENTS_PATH = "/api/segments"
CUSTOM_BASE_PATH = "/api"
CUSTOM_SEGMENTS_PATH = "/api/segments"
CUSTOM_COUNT_PATH = "/api/count"


def sample_segments(count: int, prefix: str = "seg") -> list[dict[str, Any]]:
    """``count`` segments as a data seller would list them."""
    return [
        {
            "id": f"{prefix}-{number:04d}",
            "name": f"Auto Intenders {number}",
            "description": f"People shopping for a car, cohort {number}",
            "size": 1000 * number,
        }
        for number in range(1, count + 1)
    ]


def _unauthorised(status: int, payload: dict[str, Any]) -> FakeResponse:
    return FakeResponse.json(payload, status, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenStore:
    """Tokens a fake issued; each is accepted until its lifetime ends or ``expire_all`` is called.

    With ``dead_on_arrival`` set, new tokens are issued already expired (the answer still claims
    their full lifetime), as a platform with a skewed clock or a revoked account would.
    """

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()
        self.dead_on_arrival = False

    def issue(self, lifetime_seconds: float) -> str:
        token = "tok_" + secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = 0.0 if self.dead_on_arrival else time.monotonic() + lifetime_seconds
        return token

    def valid(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and self._expiry.get(token, 0.0) > time.monotonic()

    def expire_all(self) -> None:
        """Make every token issued so far expired, as if its lifetime had ended."""
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, 0.0)

    @property
    def issued(self) -> list[str]:
        with self._lock:
            return list(self._expiry)


def page_slice(request: RecordedRequest, default_size: int = 100) -> tuple[int, int]:
    """(start, size) from ``limit``, or ``page`` (1-based) and ``page_size``."""

    def number(name: str, default: int) -> int:
        values = request.query.get(name)
        return int(values[0]) if values and values[0].lstrip("-").isdigit() else default

    if "limit" in request.query:
        return number("offset", 0), number("limit", default_size)
    size = number("page_size", default_size)
    return (max(number("page", 1), 1) - 1) * size, size


# --------------------------------------------------------------------------------------------- LiveRamp
# The strict Data Seller API fake lives in tests/fakes/liveramp.py.


# ---------------------------------------------------------------------------------------- Index Exchange
class IndexExchangeFake:
    """``/auth/oauth/token`` (username + API key) and a paged listing for inbound reads; outbound,
    the taxonomy-file inbox in S3 (``inbox``, built on first use, under moto)."""

    def __init__(
        self, server: FakeHttpServer, *, expires_in: int | None = None, inbox: TaxonomyInbox | None = None
    ) -> None:
        self.server = server
        self.tokens = TokenStore()
        self.expires_in = expires_in
        self.credentials = {
            "username": "ix-user@example.com",
            "key": "ix-key-1q2w3e4r5t",
            "aws_access_key_id": "AKIAIXTAXONOMY0001",
            "aws_secret_access_key": "ix-aws-secret-7h6g5f4d",
        }
        self._inbox = inbox
        server.route("POST", IX_TOKEN_PATH, self._token)
        server.route("GET", IX_SEGMENTS_PATH, self._authorised(self._list))

    @property
    def inbox(self) -> TaxonomyInbox:
        if self._inbox is None:
            self._inbox = TaxonomyInbox()
        return self._inbox

    @property
    def token_url(self) -> str:
        return self.server.url + IX_TOKEN_PATH

    def outbound_config(self) -> dict[str, Any]:
        return self.inbox.config() | {"default_cpm": 0.5}

    def inbound_config(self) -> dict[str, Any]:
        return {
            "base_url": self.server.url + IX_SEGMENTS_PATH,
            "token_url": self.token_url,
            "items_path": "data",
            "count_path": "total",
        }

    @property
    def config(self) -> dict[str, Any]:
        return self.inbound_config() | self.outbound_config()

    def token_requests(self) -> int:
        return self.server.count("POST", IX_TOKEN_PATH)

    def registered(self) -> dict[str, str]:
        """The segments Index would register from the inbox's taxonomy files."""
        return self.inbox.registered()

    def _token(self, request: RecordedRequest) -> FakeResponse:
        body = request.json()
        if body.get("username") != self.credentials["username"] or body.get("key") != self.credentials["key"]:
            return FakeResponse.json({"responseCode": 401, "message": "Invalid username or key"}, 401)
        data: dict[str, Any] = {"accessToken": self.tokens.issue(self.expires_in or 3600)}
        if self.expires_in is not None:
            data["expiresIn"] = self.expires_in
        return FakeResponse.json({"responseCode": 200, "data": data})

    def _authorised(self, handler: Any) -> Any:
        def check(request: RecordedRequest) -> FakeResponse:
            header = request.header("authorization") or ""
            if not self.tokens.valid(header.removeprefix("Bearer ")):
                return _unauthorised(401, {"responseCode": 401, "message": "Token expired"})
            return handler(request)

        return check

    def _list(self, request: RecordedRequest) -> FakeResponse:
        listed = [{"id": s["id"], "name": s["name"]} for s in sample_segments(2, "ix")]
        start, size = page_slice(request)
        return FakeResponse.json({"data": listed[start : start + size], "total": len(listed)})


# ---------------------------------------------------------------------------------------- custom REST API
def _place(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for name in parents:
        document = document.setdefault(name, {})
    document[leaf] = value


class CustomApiFake:
    """A configurable REST API: its listing paginates by page (from 0 or 1) or offset, puts items at
    ``items_path`` (or answers a bare list) and the total at ``count_path`` (or leaves it out); the
    segment endpoints follow the project's documented contract for custom destinations."""

    def __init__(
        self,
        server: FakeHttpServer,
        *,
        auth_type: str = "bearer",
        api_key_header: str | None = None,
        pagination: str = "page",
        first_page: int = 1,
        page_param: str | None = None,
        page_size_param: str | None = None,
        items_path: str | None = "data.segments",
        count_path: str | None = "data.total",
        total: int = 7,
        echo: bool = False,
        count_endpoint: bool = False,
        required_headers: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        # With ``count_endpoint`` the total is answered at CUSTOM_COUNT_PATH (at ``count_path``) and
        # never in a page; every request must carry ``required_headers`` (a 400 otherwise).
        self.count_endpoint = count_endpoint
        self.required_headers = required_headers or {}
        # A careless platform: with ``echo`` every answer repeats the credential it was sent (in each
        # listed item, in an ``X-Echo-Credential`` header and in the ids of created segments), and the
        # next ``echo_errors`` listing or create calls fail with a 422 whose message quotes it.
        self.echo = echo
        self.echo_errors = 0
        self.auth_type = auth_type
        self.api_key_header = api_key_header
        self.pagination = pagination
        self.first_page = first_page
        self.page_param = page_param
        self.page_size_param = page_size_param
        self.items_path = items_path
        self.count_path = count_path
        self.items = sample_segments(total, "ext")
        self.pushed: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self._ids = itertools.count(1)
        self.credentials = {
            "bearer": {"token": "custom-token-0a9b8c7d"},
            "basic": {"username": "custom-user", "password": "custom-pass-6e5f4a"},
            "api_key": {"api_key": "custom-key-3c2d1e0f"},
            "none": {},
        }[auth_type]
        server.route("GET", CUSTOM_BASE_PATH, self._authorised(lambda _request: FakeResponse.json({"ok": True})))
        server.route("GET", CUSTOM_SEGMENTS_PATH, self._authorised(self._list))
        server.route("GET", CUSTOM_COUNT_PATH, self._authorised(self._count))
        server.route("POST", CUSTOM_SEGMENTS_PATH, self._authorised(self._create))
        server.route("PUT", CUSTOM_SEGMENTS_PATH + "/{segment_id}", self._authorised(self._update))
        server.route("DELETE", CUSTOM_SEGMENTS_PATH + "/{segment_id}", self._authorised(self._delete))

    def inbound_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"base_url": self.server.url + CUSTOM_SEGMENTS_PATH, "auth_type": self.auth_type}
        optional = {
            "items_path": self.items_path,
            "count_path": self.count_path,
            "page_param": self.page_param,
            "page_size_param": self.page_size_param,
            "api_key_header": self.api_key_header,
        }
        config |= {key: value for key, value in optional.items() if value is not None}
        if self.count_endpoint:
            config["count_url"] = self.server.url + CUSTOM_COUNT_PATH
        if self.required_headers:
            config["headers"] = dict(self.required_headers)
        if self.pagination != "page":
            config["pagination"] = self.pagination
        if self.first_page != 1:
            config["first_page"] = self.first_page
        return config

    def outbound_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"api_base_url": self.server.url + CUSTOM_BASE_PATH, "auth_type": self.auth_type}
        if self.api_key_header:
            config["api_key_header"] = self.api_key_header
        return config | {"default_cpm": 3.0, "currency": "EUR"}

    @property
    def config(self) -> dict[str, Any]:
        return self.inbound_config() | self.outbound_config()

    def _authorised(self, handler: Any) -> Any:
        def check(request: RecordedRequest) -> FakeResponse:
            if self.auth_type == "bearer":
                accepted = request.header("authorization") == f"Bearer {self.credentials['token']}"
            elif self.auth_type == "basic":
                pair = f"{self.credentials['username']}:{self.credentials['password']}".encode()
                accepted = request.header("authorization") == "Basic " + base64.b64encode(pair).decode()
            elif self.auth_type == "api_key":
                accepted = request.header(self.api_key_header or "X-API-Key") == self.credentials["api_key"]
            else:
                accepted = True
            if not accepted:
                return FakeResponse.json({"error": "unauthorized"}, 401)
            missing = [name for name, value in self.required_headers.items() if request.header(name) != value]
            if missing:
                return FakeResponse.json({"error": f"missing header {missing[0]}"}, 400)
            if not self.echo:
                return handler(request)
            presented = self._presented(request)
            if self.echo_errors and request.method in ("GET", "POST") and request.route == CUSTOM_SEGMENTS_PATH:
                self.echo_errors -= 1
                message = f"credential {presented} is not valid for this request"
                return FakeResponse.json({"message": message, "received": dict(request.headers)}, 422)
            answer = handler(request)
            return FakeResponse(answer.status, answer.body, {**answer.headers, "X-Echo-Credential": presented})

        return check

    def _presented(self, request: RecordedRequest) -> str:
        """The credential as sent: the API key header, or the Authorization value without its scheme."""
        if self.auth_type == "api_key":
            return request.header(self.api_key_header or "X-API-Key") or ""
        return (request.header("authorization") or "").partition(" ")[2]

    def _list(self, request: RecordedRequest) -> FakeResponse:
        page_param = self.page_param or ("offset" if self.pagination == "offset" else "page")
        size_values = request.query.get(self.page_size_param or "page_size")
        size = int(size_values[0]) if size_values else 100
        position_values = request.query.get(page_param)
        if self.pagination == "offset":
            start = int(position_values[0]) if position_values else 0
        else:
            page = int(position_values[0]) if position_values else self.first_page
            if page < self.first_page:
                return FakeResponse.json({"error": f"pages start at {self.first_page}"}, 400)
            start = (page - self.first_page) * size
        items = self.items[start : start + size]
        if self.echo:
            presented = self._presented(request)
            items = [
                item
                | {
                    "description": f"Seen with {presented}",
                    "request": {"authorization": request.header("authorization")},
                }
                for item in items
            ]
        if self.items_path is None:
            return FakeResponse.json(items)
        document: dict[str, Any] = {}
        _place(document, self.items_path, items)
        if self.count_path is not None and not self.count_endpoint:
            _place(document, self.count_path, len(self.items))
        return FakeResponse.json(document)

    def _count(self, request: RecordedRequest) -> FakeResponse:
        if not self.count_endpoint or self.count_path is None:
            return FakeResponse.json({"error": "no count endpoint"}, 404)
        document: dict[str, Any] = {}
        _place(document, self.count_path, len(self.items))
        return FakeResponse.json(document)

    def _create(self, request: RecordedRequest) -> FakeResponse:
        body = request.json()
        if not body.get("name") or not body.get("external_id"):
            return FakeResponse.json({"message": "name and external_id are required"}, 422)
        segment_id = f"cs_{next(self._ids)}"
        if self.echo:
            segment_id += f"_{self._presented(request)}"
        self.pushed[segment_id] = body
        return FakeResponse.json({"id": segment_id}, 201)

    def _update(self, request: RecordedRequest) -> FakeResponse:
        segment_id = request.path_params["segment_id"]
        if segment_id not in self.pushed:
            return FakeResponse.json({"message": "no such segment"}, 404)
        self.pushed[segment_id] = request.json()
        return FakeResponse.json({"id": segment_id})

    def _delete(self, request: RecordedRequest) -> FakeResponse:
        segment_id = request.path_params["segment_id"]
        if self.pushed.pop(segment_id, None) is None:
            return FakeResponse.json({"message": "no such segment"}, 404)
        self.deleted.append(segment_id)
        return FakeResponse(204)


# --------------------------------------------------------------------------------------------- helpers
@contextmanager
def liveramp_fake(**options: Any) -> Iterator[LiveRampFake]:
    """A running LiveRamp fake (options: expires_in, expired_status, grant='password'|'client_credentials')."""
    with FakeHttpServer() as server:
        yield LiveRampFake(server, **options)


@contextmanager
def indexexchange_fake(**options: Any) -> Iterator[IndexExchangeFake]:
    """A running Index Exchange fake (option: expires_in, sent as ``expiresIn`` when given)."""
    with FakeHttpServer() as server:
        yield IndexExchangeFake(server, **options)


@contextmanager
def custom_api_fake(**options: Any) -> Iterator[CustomApiFake]:
    """A running custom REST API fake; see ``CustomApiFake`` for the options."""
    with FakeHttpServer() as server:
        yield CustomApiFake(server, **options)
