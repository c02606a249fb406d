"""LiveRamp: service-account tokens, and Data Marketplace segments through the Data Seller API.

What LiveRamp documents:

- Data Seller API, "Enable Data Marketplace Segments"
  (https://developers.liveramp.com/data-seller-api/reference/create-v1segment): a Data Marketplace
  segment is created on an existing first-party segment (``activationSegmentId``, the first-party
  segment id from the Activation API). Required: ``name`` (shown to buyers) and ``segmentType``
  (``SYNDICATED``, ``CUSTOM`` or ``DIRECT``). ``restrictions`` itself is optional, but
  ``restrictions.permittedUseCases`` is required: at least one permitted use case, each priced in
  ``pricing``. Optional: ``description``, a geographical source location (provider default when
  absent). ``allowedPlatforms`` must not be sent for SYNDICATED segments and is required for CUSTOM
  and DIRECT ones (an allowlist is required for custom and direct segments).
- Data Seller API, "Update a Data Marketplace Segment"
  (https://developers.liveramp.com/data-seller-api/reference/modify-v1segment): ``v1/segments/{segmentId}``
  with an int32 ``segmentId``; every field is optional; ``segmentId`` and ``activationSegmentId``
  cannot be updated, and once a segment has been distributed neither can any part of ``pricing``
  (prices or currency). ``restrictions`` can be set on update only by providers configured for
  Customer Profiles.
- Tokens ("Request an access token" pages of LiveRamp's APIs, developers.liveramp.com) come from
  ``token_url`` (default https://serviceaccounts.liveramp.com/authn/v1/oauth2/token) by a form POST:
  the password grant with ``username`` = account id, ``password`` = secret key, ``client_id`` =
  ``liveramp-api``, ``scope`` = ``openid``, ``response_type`` = ``token``; service accounts issued as
  client id + secret use ``grant_type=client_credentials``. The answer is ``{"access_token",
  "token_type": "Bearer", "expires_in": 600}``: tokens are cached for ``expires_in`` (less a margin,
  token_cache.py) and fetched anew when a call answers 401/403 for an expired token.
- Every API call carries ``Authorization: Bearer <token>`` and ``LR-Org-Id: <org id>`` (the
  ``owner_org`` of the service-account file): credential ``org_id``, required at connection create.
- AudienceGPT's connection guide (https://docs.audiencegpt.ai/customer-guide/connections) lists the
  config keys token_url, api_base_url, default_cpm, currency, data_source_location and the
  credentials username, password, client id and organization id.

Decisions of this project (README, "Platforms"):

- ``segment_type`` (default SYNDICATED), ``allowed_platforms`` and ``permitted_use_cases`` are
  connection config, validated at create/PATCH (domain/connection_config.py): CUSTOM/DIRECT without
  ``allowed_platforms``, or SYNDICATED with it, is a 400 naming the key.
- The price is the run's ``cpm`` or the connection's ``default_cpm``; a LiveRamp push with neither is
  a 400 at run start (domain/push_service.py), as LiveRamp refuses an unpriced use case.
- The first-party segment a topic is sold on is the topic's ``external_id``: topics synced in from
  the LiveRamp account carry their first-party segment id there. A topic without one is an activation
  error for that segment, and nothing is sent.
- Updates send name, description, segment type, allowed platforms and source location only: never
  ``activationSegmentId`` (immutable) nor ``pricing`` (immutable once distributed, and the project
  cannot know whether a buyer distributed it).

Assumed, because the reference text available to the project does not show them (change the
constants below once confirmed against LiveRamp's reference):

- the Data Seller API is served under ``{api_base_url}/data-marketplace/seller-api`` (as the Buyer
  API is under https://api.liveramp.com/data-marketplace/buyer-api), ``api_base_url`` defaulting
  to https://api.liveramp.com;
- the JSON names ``dataSourceLocation`` and ``pricing: {"currency", "cpm"}`` (one CPM for the
  permitted use cases), the use case name ``TARGETING`` as the default ``permitted_use_cases``; the
  answer's id in ``segmentId`` (or ``id``);
- updates are ``PATCH``; error bodies carry a ``message`` (read by platform_errors.py, which also
  reads ``error``/``errors[0]``);
- the cheap authorised read of a connection test is ``GET .../v1/segments?limit=1``;
- deactivation: the Data Seller API pages show no status field and no delete, so
  ``deactivate_segment`` sends nothing and reports that (disable the segment in LiveRamp Connect).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.adapters.outbound.safe_client import SafeHttpClient
from connections.adapters.platforms.auth import TokenAuth
from connections.adapters.platforms.authorized_client import NO_RESEND, AuthorizedClient, item_url, join_url
from connections.adapters.platforms.platform_errors import IncompleteConnection, UndocumentedOperation
from connections.adapters.platforms.response_fields import platform_id
from connections.adapters.platforms.token_cache import IssuedToken, TokenCache, token_cache_key
from connections.adapters.platforms.token_requests import request_token, seconds
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import MalformedResponse
from connections.ports.platforms import PushedSegment, SegmentSpec

DISPLAY_NAME = "LiveRamp"
DEFAULT_TOKEN_URL = "https://serviceaccounts.liveramp.com/authn/v1/oauth2/token"  # noqa: S105 - an endpoint, not a secret
DEFAULT_API_BASE_URL = "https://api.liveramp.com"
DEFAULT_CLIENT_ID = "liveramp-api"
DEFAULT_TOKEN_LIFETIME = 600.0
SEGMENTS_PATH = "/data-marketplace/seller-api/v1/segments"
DEFAULT_SEGMENT_TYPE = "SYNDICATED"
SEGMENT_TYPES = ("SYNDICATED", "CUSTOM", "DIRECT")
# allowedPlatforms is required for these types and must not be sent for the others.
TYPES_WITH_ALLOWED_PLATFORMS = frozenset({"CUSTOM", "DIRECT"})
DEFAULT_PERMITTED_USE_CASES = ("TARGETING",)


def token_form(credentials: Mapping[str, str]) -> dict[str, str]:
    """The token request: the password grant for an account id + secret key, else client credentials."""
    username, password = credentials.get("username"), credentials.get("password")
    client_id, client_secret = credentials.get("client_id"), credentials.get("client_secret")
    if username and password:
        form = {
            "grant_type": "password",
            "username": username,
            "password": password,
            "client_id": client_id or DEFAULT_CLIENT_ID,
            "scope": "openid",
            "response_type": "token",
        }
        if client_secret:
            form["client_secret"] = client_secret
        return form
    if client_id and client_secret:
        return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    raise IncompleteConnection("LiveRamp needs the credentials username + password, or client_id + client_secret")


def read_token(document: Any) -> IssuedToken | None:
    """``{"access_token", "expires_in"}`` as an IssuedToken."""
    if not isinstance(document, dict) or not isinstance(document.get("access_token"), str):
        return None
    return IssuedToken(document["access_token"], seconds(document.get("expires_in"), DEFAULT_TOKEN_LIFETIME))


def liveramp_auth(
    config: Mapping[str, Any], credentials: Mapping[str, str], http: SafeHttpClient, cache: TokenCache
) -> TokenAuth:
    """Bearer tokens from the LiveRamp token endpoint, and the ``LR-Org-Id`` header LiveRamp requires."""
    token_url = str(config.get("token_url") or DEFAULT_TOKEN_URL)
    form = token_form(credentials)
    secrets = tuple(credentials.values())

    def issue(deadline: Deadline) -> IssuedToken:
        return request_token(http, token_url, deadline, read_token, form=form, secrets=secrets)

    org_id = credentials.get("org_id")
    if not org_id:
        raise IncompleteConnection("LiveRamp needs the credential org_id (sent as LR-Org-Id on every call)")
    return TokenAuth(
        cache=cache,
        cache_key=token_cache_key("liveramp", token_url, credentials),
        issue=issue,
        extra_headers={"LR-Org-Id": org_id},
        secret_values=secrets,
    )


def _common_fields(segment: SegmentSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """What create and update both send: buyer-facing metadata, none of it immutable."""
    segment_type = str(config.get("segment_type") or DEFAULT_SEGMENT_TYPE)
    body: dict[str, Any] = {
        "name": segment.name,
        "segmentType": segment_type,
        "description": segment.description or segment.name,
    }
    if segment_type in TYPES_WITH_ALLOWED_PLATFORMS:
        body["allowedPlatforms"] = list(config.get("allowed_platforms") or [])
    location = segment.data_source_location or config.get("data_source_location")
    if location:
        body["dataSourceLocation"] = location
    return body


def create_body(segment: SegmentSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """A new Data Marketplace segment on the topic's first-party segment, with its use cases priced."""
    activation_id = segment.extra.get("activation_segment_id")
    if not activation_id:
        raise IncompleteConnection(
            "LiveRamp sells a segment only on an existing first-party segment: this topic has no "
            "external_id naming one (sync it in from the LiveRamp account first)"
        )
    cpm = segment.cpm if segment.cpm is not None else config.get("default_cpm")
    if cpm is None:
        raise IncompleteConnection("LiveRamp needs a price: set the run's cpm or the connection's default_cpm")
    use_cases = list(config.get("permitted_use_cases") or DEFAULT_PERMITTED_USE_CASES)
    return {
        "activationSegmentId": str(activation_id),
        **_common_fields(segment, config),
        "restrictions": {"permittedUseCases": use_cases},
        "pricing": {"currency": segment.currency or config.get("currency") or "USD", "cpm": cpm},
    }


def update_body(segment: SegmentSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """The mutable metadata only: no ids, no pricing (fixed once distributed), no restrictions."""
    return _common_fields(segment, config)


class LiveRampDestination:
    """Pushes segments to LiveRamp's Data Marketplace."""

    display_name = DISPLAY_NAME

    def __init__(self, client: AuthorizedClient, config: Mapping[str, Any]) -> None:
        self._client = client
        self._config = config
        self._segments_url = join_url(str(config.get("api_base_url") or DEFAULT_API_BASE_URL), SEGMENTS_PATH)

    def test(self, deadline: Deadline) -> str:
        """Obtain a token (or use the cached one) and read one segment; the answer must be JSON."""
        self._client.send("GET", self._segments_url, deadline, params={"limit": 1}).json()
        return f"Connected to {DISPLAY_NAME} API"

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        body = create_body(segment, self._config)  # raises before any call when a field is missing
        response = self._client.send("POST", self._segments_url, deadline, json=body, retry=NO_RESEND)
        return PushedSegment(_segment_id(response.json()))

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        url = item_url(self._segments_url, platform_segment_id)
        self._client.send("PATCH", url, deadline, json=update_body(segment, self._config))
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        raise UndocumentedOperation(
            "LiveRamp's Data Seller API documents no deactivation; disable the segment in LiveRamp Connect"
        )


def _segment_id(document: Any) -> str:
    if isinstance(document, dict):
        for name in ("segmentId", "id"):
            found = platform_id(document.get(name))
            if found is not None:
                return found
    raise MalformedResponse("LiveRamp did not return the new segment's id")
