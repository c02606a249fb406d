"""A strict fake of LiveRamp's service-account tokens and Data Seller API on 127.0.0.1.

It checks every request against what LiveRamp documents (sources at the top of
adapters/platforms/liveramp.py) and refuses anything else, so an adapter cannot pass by sending what
the fake happens to accept:

- every API call: ``Authorization: Bearer <live token>`` (401, or ``expired_status``) and
  ``LR-Org-Id`` of the account (403);
- create (``POST v1/segments``): a JSON object of documented fields only; ``name`` (non-empty
  string) and ``segmentType`` (SYNDICATED | CUSTOM | DIRECT) required; ``allowedPlatforms`` required
  for CUSTOM and DIRECT, refused for SYNDICATED; ``restrictions.permittedUseCases`` a non-empty list;
  ``pricing`` with a number ``cpm`` >= 0 and a three-letter ``currency``; ``activationSegmentId`` an
  existing first-party segment;
- update (``PATCH v1/segments/{segmentId}``): an int32 id of an existing segment; documented fields
  only; never ``segmentId`` or ``activationSegmentId``; no ``pricing`` once the segment is distributed
  (``distribute()``); the result must still be a valid segment (type vs allowedPlatforms).

Refusals answer ``{"errors": [{"code", "message"}]}`` (an assumption: LiveRamp's error body is not
in the reference text available to the project; the adapter reads ``errors[0].message``).
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest

LIVERAMP_TOKEN_PATH = "/authn/v1/oauth2/token"
LIVERAMP_SEGMENTS_PATH = "/data-marketplace/seller-api/v1/segments"

SEGMENT_TYPES = ("SYNDICATED", "CUSTOM", "DIRECT")
CREATE_FIELDS = frozenset(
    {
        "activationSegmentId",
        "name",
        "segmentType",
        "allowedPlatforms",
        "description",
        "dataSourceLocation",
        "restrictions",
        "pricing",
    }
)
IMMUTABLE_FIELDS = ("segmentId", "activationSegmentId")
UPDATE_FIELDS = (CREATE_FIELDS - {"activationSegmentId"}) | {"segmentId"}  # segmentId: refused by its own rule
INT32_MAX = 2**31 - 1


def refusal(status: int, code: str, message: str) -> FakeResponse:
    """The fake's error shape (see the module notes)."""
    return FakeResponse.json({"errors": [{"code": code, "message": message}]}, status)


def _first_problem(body: dict[str, Any], *, creating: bool) -> str | None:
    """The first documented rule ``body`` breaks (field types; required fields when creating)."""
    if creating:
        for required in ("activationSegmentId", "name", "segmentType"):
            if required not in body:
                return f"{required} is required"
        restrictions = body.get("restrictions")
        if not isinstance(restrictions, dict) or "permittedUseCases" not in restrictions:
            return "restrictions.permittedUseCases is required"
        if "pricing" not in body:
            return "pricing is required for the permitted use cases"
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        return "name must be a non-empty string"
    if "segmentType" in body and body["segmentType"] not in SEGMENT_TYPES:
        return "segmentType must be one of SYNDICATED, CUSTOM, DIRECT"
    if "description" in body and not isinstance(body["description"], str):
        return "description must be a string"
    if "dataSourceLocation" in body and not isinstance(body["dataSourceLocation"], str):
        return "dataSourceLocation must be a string"
    if "allowedPlatforms" in body:
        platforms = body["allowedPlatforms"]
        if not isinstance(platforms, list) or not platforms or not all(isinstance(p, str) for p in platforms):
            return "allowedPlatforms must be a non-empty list of platform names"
    if "restrictions" in body:
        use_cases = body["restrictions"].get("permittedUseCases") if isinstance(body["restrictions"], dict) else None
        if not isinstance(use_cases, list) or not use_cases or not all(isinstance(u, str) for u in use_cases):
            return "restrictions.permittedUseCases must list at least one use case"
    if "pricing" in body:
        pricing = body["pricing"]
        if not isinstance(pricing, dict):
            return "pricing must be an object"
        cpm, currency = pricing.get("cpm"), pricing.get("currency")
        if isinstance(cpm, bool) or not isinstance(cpm, int | float) or cpm < 0:
            return "pricing.cpm must be a number >= 0"
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
            return "pricing.currency must be a three-letter currency code"
    return None


def _type_problem(segment: dict[str, Any]) -> str | None:
    """allowedPlatforms must not be used for SYNDICATED segments and is required for CUSTOM/DIRECT."""
    has_platforms = "allowedPlatforms" in segment
    if segment.get("segmentType") == "SYNDICATED" and has_platforms:
        return "allowedPlatforms must not be used for SYNDICATED segments"
    if segment.get("segmentType") in ("CUSTOM", "DIRECT") and not has_platforms:
        return "allowedPlatforms is required for CUSTOM and DIRECT segments"
    return None


class LiveRampFake:
    """Service-account token endpoint + Data Seller segments API, both strict."""

    def __init__(
        self,
        server: FakeHttpServer,
        *,
        expires_in: int = 600,
        expired_status: int = 401,
        grant: str = "password",
        segments: int = 3,
    ) -> None:
        self.server = server
        from tests.fakes.platforms import TokenStore, sample_segments  # platforms.py imports this module

        self.tokens = TokenStore()
        self.expires_in = expires_in
        self.expired_status = expired_status
        # First-party segments (Activation API ids) the account has uploaded: the inbound listing.
        self.first_party: dict[str, dict[str, Any]] = {s["id"]: s for s in sample_segments(segments, "lr")}
        # Data Marketplace segments created through the Data Seller API, by segmentId.
        self.segments: dict[str, dict[str, Any]] = {}
        self.distributed: set[str] = set()
        self._ids = itertools.count(1001)
        self.org_id = "org-4711"
        if grant == "password":
            self.credentials = {"username": "lr-account-7c1e", "password": "lr-secret-9f8e7d6c", "org_id": self.org_id}
        else:
            self.credentials = {
                "client_id": "lr-client-3a2b",
                "client_secret": "lr-secret-5d4c3b2a",
                "org_id": self.org_id,
            }
        server.route("POST", LIVERAMP_TOKEN_PATH, self._token)
        server.route("GET", LIVERAMP_SEGMENTS_PATH, self._authorised(self._list))
        server.route("POST", LIVERAMP_SEGMENTS_PATH, self._authorised(self._create))
        server.route("PATCH", LIVERAMP_SEGMENTS_PATH + "/{segment_id}", self._authorised(self._update))

    @property
    def token_url(self) -> str:
        return self.server.url + LIVERAMP_TOKEN_PATH

    def outbound_config(self) -> dict[str, Any]:
        return {
            "api_base_url": self.server.url,
            "token_url": self.token_url,
            "data_source_location": "US",
            "default_cpm": 2.5,
            "currency": "USD",
        }

    def inbound_config(self) -> dict[str, Any]:
        return {"base_url": self.server.url + LIVERAMP_SEGMENTS_PATH, "items_path": "segments", "count_path": "total"}

    @property
    def config(self) -> dict[str, Any]:
        return self.inbound_config() | self.outbound_config()

    def token_requests(self) -> int:
        return self.server.count("POST", LIVERAMP_TOKEN_PATH)

    def distribute(self, segment_id: str) -> None:
        """Mark a segment distributed by a buyer: its pricing is fixed from now on."""
        self.distributed.add(segment_id)

    def _token(self, request: RecordedRequest) -> FakeResponse:
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        expected = self.credentials
        if form.get("grant_type") == "password":
            accepted = (
                form.get("username") == expected.get("username")
                and form.get("password") == expected.get("password")
                and form.get("client_id") == "liveramp-api"
                and form.get("scope") == "openid"
            )
        elif form.get("grant_type") == "client_credentials":
            accepted = form.get("client_id") == expected.get("client_id") and form.get("client_secret") == expected.get(
                "client_secret"
            )
        else:
            return FakeResponse.json({"error": "unsupported_grant_type"}, 400)
        if not accepted:
            return FakeResponse.json({"error": "invalid_grant", "error_description": "Invalid credentials"}, 401)
        token = self.tokens.issue(self.expires_in)
        return FakeResponse.json({"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    def _authorised(self, handler: Any) -> Any:
        def check(request: RecordedRequest) -> FakeResponse:
            header = request.header("authorization") or ""
            if not header.startswith("Bearer ") or not self.tokens.valid(header.removeprefix("Bearer ")):
                payload = {"error": "invalid_token", "error_description": "The access token expired"}
                return FakeResponse.json(
                    payload, self.expired_status, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                )
            if request.header("lr-org-id") != self.org_id:
                return refusal(403, "FORBIDDEN", "LR-Org-Id is missing or not permitted")
            return handler(request)

        return check

    def _list(self, request: RecordedRequest) -> FakeResponse:
        from tests.fakes.platforms import page_slice

        listed = list(self.first_party.values())
        start, size = page_slice(request)
        return FakeResponse.json({"segments": listed[start : start + size], "total": len(listed)})

    def _body(self, request: RecordedRequest) -> dict[str, Any] | FakeResponse:
        if (request.header("content-type") or "").split(";")[0].strip() != "application/json":
            return refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
        try:
            body = request.json()
        except ValueError:
            return refusal(400, "BAD_REQUEST", "The body is not JSON")
        if not isinstance(body, dict):
            return refusal(400, "BAD_REQUEST", "The body must be a segment object")
        return body

    def _create(self, request: RecordedRequest) -> FakeResponse:
        body = self._body(request)
        if isinstance(body, FakeResponse):
            return body
        unknown = sorted(set(body) - CREATE_FIELDS)
        if unknown:
            return refusal(400, "UNKNOWN_FIELD", f"Unknown field {unknown[0]}")
        problem = _first_problem(body, creating=True) or _type_problem(body)
        if problem:
            return refusal(400, "INVALID_SEGMENT", problem)
        if not isinstance(body["activationSegmentId"], str) or body["activationSegmentId"] not in self.first_party:
            return refusal(400, "INVALID_SEGMENT", "activationSegmentId is not a first-party segment of this account")
        segment_id = str(next(self._ids))
        self.segments[segment_id] = dict(body)
        return FakeResponse.json({"segmentId": int(segment_id), **body}, 201)

    def _update(self, request: RecordedRequest) -> FakeResponse:
        segment_id = request.path_params["segment_id"]
        if not segment_id.isdigit() or int(segment_id) > INT32_MAX:
            return refusal(400, "BAD_REQUEST", "segmentId must be an int32")
        if segment_id not in self.segments:
            return refusal(404, "NOT_FOUND", "Segment not found")
        body = self._body(request)
        if isinstance(body, FakeResponse):
            return body
        immutable = [name for name in IMMUTABLE_FIELDS if name in body]
        if immutable:
            return refusal(400, "IMMUTABLE_FIELD", f"{immutable[0]} cannot be updated")
        unknown = sorted(set(body) - UPDATE_FIELDS)
        if unknown:
            return refusal(400, "UNKNOWN_FIELD", f"Unknown field {unknown[0]}")
        if "pricing" in body and segment_id in self.distributed:
            return refusal(400, "PRICING_LOCKED", "Prices and currency of a distributed segment cannot be updated")
        problem = _first_problem(body, creating=False)
        updated = self.segments[segment_id] | body
        if updated.get("segmentType") == "SYNDICATED" and "allowedPlatforms" not in body:
            updated.pop("allowedPlatforms", None)  # a type change to SYNDICATED drops the allowlist
        problem = problem or _type_problem(updated)
        if problem:
            return refusal(400, "INVALID_SEGMENT", problem)
        self.segments[segment_id] = updated
        return FakeResponse.json({"segmentId": int(segment_id), **updated})
