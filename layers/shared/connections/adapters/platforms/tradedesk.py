"""The Trade Desk: third-party data segments (data provider taxonomy) through the platform API v3.

What The Trade Desk documents (partner.thetradedesk.com / open.thetradedesk.com API reference,
"Third Party Data Taxonomy" and "Third Party Data Rate" areas):

- Every call carries the header ``TTD-Auth: <token>``: a long-lived API token generated in the
  developer portal (credential ``api_key``), or a token obtained with ``POST /v3/authentication``
  ``{"Login", "Password", "TokenExpirationInMinutes"}`` -> ``{"Token"}`` (credentials ``login`` +
  ``password``).
- ``POST /v3/thirdpartydata/query`` ``{"ProviderId", "PageStartIndex", "PageSize"}`` lists a data
  provider's elements (``Result``, ``ResultCount``): the connection test asks for one.
- ``POST /v3/thirdpartydata`` creates and ``PUT /v3/thirdpartydata`` updates an element
  ``{"ProviderId", "ProviderElementId", "ParentElementId", "DisplayName", "Buyable", "Description"}``;
  taxonomy elements are not deleted, so deactivation sets ``Buyable`` to false.
- ``POST /v3/datarate/batch`` ``{"ProviderId", "DataRates": [{"ProviderElementId", "BrandId",
  "RateLevel", "RateType": "CPM", "CPMRate": {"Amount", "CurrencyCode"}}]}`` stages prices for
  approval and answers ``{"BatchId"}``.

Choices: ``ProviderElementId`` is the topic's id (``SegmentSpec.external_id``), so it is also the
platform segment id; elements are created at the top of the provider's taxonomy (no parent);
system-level CPM rates are staged after create/update when a CPM is known, under the brand
``SegmentSpec.extra["brand_id"]`` or, without one, the provider id. ``api_base_url`` includes the
version (default https://api.thetradedesk.com/v3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connections.adapters.outbound.safe_client import SafeHttpClient
from connections.adapters.platforms.auth import RequestAuth, StaticHeaderAuth, TokenAuth
from connections.adapters.platforms.authorized_client import NO_RESEND, AuthorizedClient, join_url
from connections.adapters.platforms.platform_errors import IncompleteConnection, platform_message
from connections.adapters.platforms.token_cache import IssuedToken, TokenCache, token_cache_key
from connections.adapters.platforms.token_requests import request_token
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import UpstreamStatusError
from connections.ports.platforms import PushedSegment, SegmentSpec

DISPLAY_NAME = "The Trade Desk"
DEFAULT_API_BASE_URL = "https://api.thetradedesk.com/v3"
AUTH_HEADER = "TTD-Auth"
TOKEN_MINUTES = 60
RATE_LEVEL = "System"


def api_base_url(config: Mapping[str, Any]) -> str:
    """The versioned API root of a connection."""
    return str(config.get("api_base_url") or DEFAULT_API_BASE_URL)


def read_token(document: Any) -> IssuedToken | None:
    """``{"Token"}`` as an IssuedToken that lives as long as it was asked to."""
    if not isinstance(document, dict) or not isinstance(document.get("Token"), str):
        return None
    return IssuedToken(document["Token"], TOKEN_MINUTES * 60.0)


def tradedesk_auth(
    config: Mapping[str, Any], credentials: Mapping[str, str], http: SafeHttpClient, cache: TokenCache
) -> RequestAuth:
    """``TTD-Auth`` with the API token, or with a token obtained for login + password."""
    api_key = credentials.get("api_key")
    if api_key:
        return StaticHeaderAuth(AUTH_HEADER, api_key)
    login, password = credentials.get("login"), credentials.get("password")
    if not (login and password):
        raise IncompleteConnection("The Trade Desk needs the credential api_key, or login + password")
    url = join_url(api_base_url(config), "authentication")
    body = {"Login": login, "Password": password, "TokenExpirationInMinutes": TOKEN_MINUTES}
    secrets = (login, password)

    def issue(deadline: Deadline) -> IssuedToken:
        return request_token(http, url, deadline, read_token, json=body, secrets=secrets)

    return TokenAuth(
        cache=cache,
        cache_key=token_cache_key("tradedesk", url, credentials),
        issue=issue,
        header=AUTH_HEADER,
        prefix="",
        secret_values=secrets,
    )


def refuse_failed_lines(document: Any) -> None:
    """The Trade Desk answers 200 with ``FailedLines`` for rows it refused: those are errors, not successes."""
    failed = document.get("FailedLines") if isinstance(document, dict) else None
    if not failed:
        return
    # Any other shape of a non-empty FailedLines still means refused rows; only a list's first is quoted.
    first = failed[0] if isinstance(failed, list) and isinstance(failed[0], dict) else {}
    reason = platform_message(json.dumps({"message": first.get("Message") or first.get("ErrorCode") or ""}).encode())
    raise UpstreamStatusError(422, f"The Trade Desk refused the segment: {reason or 'failed line'}")


class TradeDeskDestination:
    """Pushes segments into a data provider's third-party data taxonomy."""

    display_name = DISPLAY_NAME

    def __init__(self, client: AuthorizedClient, config: Mapping[str, Any]) -> None:
        self._client = client
        self._config = config
        self._api = api_base_url(config)

    def _provider_id(self) -> str:
        provider_id = self._config.get("provider_id")
        if not provider_id:
            raise IncompleteConnection("The Trade Desk needs config.provider_id (your data provider id)")
        return str(provider_id)

    def test(self, deadline: Deadline) -> str:
        """Ask for one element of the provider's taxonomy; the answer must be JSON."""
        query = {"ProviderId": self._provider_id(), "PageStartIndex": 0, "PageSize": 1}
        self._client.send("POST", join_url(self._api, "thirdpartydata/query"), deadline, json=query).json()
        return f"Connected to {DISPLAY_NAME} API"

    def element(self, segment: SegmentSpec, *, buyable: bool = True) -> dict[str, Any]:
        """The taxonomy element of ``segment``."""
        return {
            "ProviderId": self._provider_id(),
            "ProviderElementId": segment.external_id,
            "DisplayName": segment.name,
            "Description": segment.description,
            "Buyable": buyable,
        }

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        url = join_url(self._api, "thirdpartydata")
        try:
            created = self._client.send("POST", url, deadline, json=self.element(segment), retry=NO_RESEND)
        except UpstreamStatusError as refusal:
            # Our ProviderElementId is the topic id, so an element that "already exists" is this very
            # segment: an earlier create whose rate call failed, or another connection to the provider.
            if refusal.status == 400 and "already exists" in refusal.message.lower():
                return self.update_segment(segment.external_id, segment, deadline)
            raise
        refuse_failed_lines(created.json())
        self._stage_rate(segment, deadline)
        return PushedSegment(segment.external_id)

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        element = self.element(segment) | {"ProviderElementId": platform_segment_id}
        self._client.send("PUT", join_url(self._api, "thirdpartydata"), deadline, json=element)
        self._stage_rate(segment, deadline, platform_segment_id)
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        element = {"ProviderId": self._provider_id(), "ProviderElementId": platform_segment_id, "Buyable": False}
        self._client.send("PUT", join_url(self._api, "thirdpartydata"), deadline, json=element)

    def _stage_rate(self, segment: SegmentSpec, deadline: Deadline, element_id: str | None = None) -> None:
        cpm = segment.cpm if segment.cpm is not None else self._config.get("default_cpm")
        if cpm is None:
            return
        provider_id = self._provider_id()
        rate = {
            "ProviderElementId": element_id or segment.external_id,
            "BrandId": str(segment.extra.get("brand_id") or provider_id),
            "RateLevel": RATE_LEVEL,
            "RateType": "CPM",
            "CPMRate": {"Amount": cpm, "CurrencyCode": segment.currency or self._config.get("currency") or "USD"},
        }
        batch = {"ProviderId": provider_id, "DataRates": [rate]}
        response = self._client.send(
            "POST", join_url(self._api, "datarate/batch"), deadline, json=batch, retry=NO_RESEND
        )
        refuse_failed_lines(response.json())
