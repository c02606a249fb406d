"""LiveRamp: service-account tokens, and Data Marketplace segments through the Data Seller API.

What LiveRamp documents (developers.liveramp.com, "Request an access token" pages of the
Activation, Data Marketplace Buyer and Job Management APIs; RampID/Retrieval API authentication):

- Tokens come from ``token_url`` (default https://serviceaccounts.liveramp.com/authn/v1/oauth2/token)
  by a form POST: the password grant with ``username`` = account id, ``password`` = secret key,
  ``client_id`` = ``liveramp-api``, ``scope`` = ``openid``, ``response_type`` = ``token``; service
  accounts issued as client id + secret use ``grant_type=client_credentials``. The answer is
  ``{"access_token", "token_type": "Bearer", "expires_in": 600}``. Tokens are to be shared between
  calls, not fetched per call, and fetched anew when a call answers 403 for an expired token.
- API calls carry ``Authorization: Bearer <token>`` and ``LR-Org-Id: <org id>`` (the ``owner_org`` of
  the service-account file; credential ``org_id``).
- The Data Seller API creates ("enables") a Data Marketplace segment at ``v1/segments`` and updates
  one at ``v1/segments/{segmentId}`` (integer id). A segment has a buyer-facing ``name``, a
  ``segmentType`` (SYNDICATED, CUSTOM or DIRECT), a ``description``, a geographical source location,
  ``restrictions.permittedUseCases`` (at least one, each priced) and ``pricing``.

Assumed, because the reference text available to the project does not show them (change the
constants below once confirmed against LiveRamp's reference):

- the Data Seller API is served under ``{api_base_url}/data-marketplace/seller-api`` (as the Buyer
  API is under https://api.liveramp.com/data-marketplace/buyer-api), ``api_base_url`` defaulting
  to https://api.liveramp.com;
- the JSON names ``dataSourceLocation``, ``pricing: {"currency", "cpm"}`` and
  ``restrictions: {"permittedUseCases": ["TARGETING"]}``; the answer's id in ``segmentId`` (or ``id``);
- updates are ``PATCH``; deactivation is ``PATCH`` with ``{"status": "DISABLED"}``;
- the cheap authorised read of a connection test is ``GET .../v1/segments?limit=1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.adapters.outbound.safe_client import SafeHttpClient
from connections.adapters.platforms.auth import TokenAuth
from connections.adapters.platforms.authorized_client import NO_RESEND, AuthorizedClient, item_url, join_url
from connections.adapters.platforms.platform_errors import IncompleteConnection
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
SEGMENT_TYPE = "SYNDICATED"
PERMITTED_USE_CASES = ["TARGETING"]
DEACTIVATION = {"status": "DISABLED"}


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
    """Bearer tokens from the LiveRamp token endpoint, with ``LR-Org-Id`` when an org id is given."""
    token_url = str(config.get("token_url") or DEFAULT_TOKEN_URL)
    form = token_form(credentials)
    secrets = tuple(credentials.values())

    def issue(deadline: Deadline) -> IssuedToken:
        return request_token(http, token_url, deadline, read_token, form=form, secrets=secrets)

    org_id = credentials.get("org_id")
    return TokenAuth(
        cache=cache,
        cache_key=token_cache_key("liveramp", token_url, credentials),
        issue=issue,
        extra_headers={"LR-Org-Id": org_id} if org_id else None,
        secret_values=secrets,
    )


def segment_body(segment: SegmentSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """A Data Marketplace segment as the Data Seller API takes it."""
    body: dict[str, Any] = {
        "name": segment.name,
        "segmentType": SEGMENT_TYPE,
        "description": segment.description or segment.name,
    }
    location = segment.data_source_location or config.get("data_source_location")
    if location:
        body["dataSourceLocation"] = location
    cpm = segment.cpm if segment.cpm is not None else config.get("default_cpm")
    if cpm is not None:
        body["restrictions"] = {"permittedUseCases": PERMITTED_USE_CASES}
        body["pricing"] = {"currency": segment.currency or config.get("currency") or "USD", "cpm": cpm}
    activation_id = segment.extra.get("activation_segment_id")
    if activation_id:
        body["activationSegmentId"] = str(activation_id)
    return body


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
        response = self._client.send(
            "POST", self._segments_url, deadline, json=segment_body(segment, self._config), retry=NO_RESEND
        )
        return PushedSegment(_segment_id(response.json()))

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        url = item_url(self._segments_url, platform_segment_id)
        self._client.send("PATCH", url, deadline, json=segment_body(segment, self._config))
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        self._client.send("PATCH", item_url(self._segments_url, platform_segment_id), deadline, json=DEACTIVATION)


def _segment_id(document: Any) -> str:
    if isinstance(document, dict):
        for name in ("segmentId", "id"):
            found = platform_id(document.get(name))
            if found is not None:
                return found
    raise MalformedResponse("LiveRamp did not return the new segment's id")
