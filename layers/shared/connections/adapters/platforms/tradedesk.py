"""The Trade Desk: third-party data segments (a data provider's taxonomy) through the platform API v3.

What is documented, and where (The Trade Desk's own reference, partner.thetradedesk.com, is behind a
partner login; the public sources below quote it):

- Endpoints. ``POST /v3/thirdpartydata/query`` lists a provider's elements (with whether each is
  buyable), ``POST /v3/thirdpartydata`` creates an element, ``PUT /v3/thirdpartydata`` updates one,
  ``POST /v3/datarate/batch`` sets their rates: Amperity, "Send audiences to The Trade Desk Data
  Marketplace" (https://docs.amperity.com/operator/monetize_the_trade_desk_marketplace.html); the
  rate batch endpoint also in Tealium's connector guide (below).
- Element fields. Tealium, "The Trade Desk Third-Party Data Connector Setup Guide", Create taxonomy
  segment (https://docs.tealium.com/server-side-connectors/the-trade-desk-third-party-data-connector/,
  also https://docs.tealium.com/ja/server-side-connectors/the-trade-desk-third-party-data-connector/):
  ``ProviderId`` required; ``ProviderElementId`` required, at most 512 characters, cannot be changed
  after creation; ``ParentElementId`` required, the ``ProviderElementId`` of the parent element,
  cannot be changed after creation, and every data provider hangs its elements under the taxonomy's
  ``ROOT`` base element; ``DisplayName`` required, the name buyers see.
- Auth. Every call carries ``TTD-Auth: <token>``: a long-lived API token from the developer portal
  (credential ``api_key``; https://knowledgebase.incrmntal.com/knowledge/how-to-authenticate-your-incrmtnal-dashboard-with-the-trade-desk),
  or a token from ``POST /v3/authentication`` with login + password (credentials ``login`` +
  ``password``; Tealium's guide, Generate authentication token).
- Errors and limits. 400 for missing or invalid input, 401 bad credentials, 403 no access to the
  entity, 404, 409 conflict, 429 when an endpoint's rate limit is exceeded (honour ``Retry-After``),
  503 temporary overload (The Trade Desk's return codes, quoted at
  https://github.com/api-evangelist/trade-desk/blob/main/errors/trade-desk-problem-types.yml from
  https://open.thetradedesk.com/advertiser/docsApp/Foundations/resources/doc/ReturnCodes). Rate
  limits are per partner and endpoint with no published numbers
  (https://raw.githubusercontent.com/api-evangelist/the-trade-desk/refs/heads/main/rate-limits/rate-limits.md):
  a 429 is expected, retried after ``Retry-After`` by the safe client, and left pending (transient)
  by the push. Data API v2 bodies carry ``ErrorCode`` (``MissingData``, ``IncorrectContent``,
  ``AuthenticationFailed``, ...) and ``Message``
  (https://github.com/api-evangelist/trade-desk/blob/main/errors/trade-desk-error-codes.yml).
- Credentials named by AudienceGPT's guide (https://docs.audiencegpt.ai/integrations/tradedesk):
  ``api_key``, ``provider_id`` (the data provider id), ``brand_id`` (optional, Data Alliance). Both
  ids are accepted in credentials or config (``config.provider_id`` / ``config.brand_id``; the
  credentials' value wins when both are set); a pushing connection must have a ``provider_id``,
  checked when it is created or changed (``credential_shapes.account_id_problems``).

Deactivation: none of these sources documents deleting, expiring or un-listing a third-party data
element, so ``deactivate_segment`` sends nothing; the element stays in the taxonomy and only the
local record changes.

Assumptions (not in the sources above):
- ``api_base_url`` defaults to https://api.thetradedesk.com/v3 (the host of The Trade Desk's platform
  API in Tealium's CRM connector guide); AudienceGPT's guide names
  https://partners.thetradedesk.com/api/v3, an ``Authorization: Bearer`` header and
  ``POST /taxonomy/segment``, none of which The Trade Desk's sources above use.
- The query body is ``{"ProviderId", "PageStartIndex", "PageSize"}`` answered by ``{"Result",
  "ResultCount"}``; ``POST /v3/authentication`` takes ``{"Login", "Password",
  "TokenExpirationInMinutes"}`` and answers ``{"Token"}``.
- Elements are created with ``Buyable: true`` and an optional ``Description``; an update (``PUT``)
  names the element by ``ProviderId`` + ``ProviderElementId`` and carries only what may change
  (``DisplayName``, ``Description``): never ``ParentElementId``.
- A create of an element that already exists is answered 409, or 400 with "already exists".
- The rate batch body is ``{"ProviderId", "DataRates": [{"ProviderElementId", "BrandId"?,
  "RateLevel": "System", "RateType": "CPM", "CPMRate": {"Amount", "CurrencyCode"}}]}``; a 200 may
  list refused rows in ``FailedLines`` (each with ``ErrorCode``/``Message``), which makes that
  segment an error. ``BrandId`` is sent only when a brand id is configured.
- Platform API error bodies use the same ``ErrorCode`` + ``Message`` shape as the Data API.

Choices: ``ProviderElementId`` is the topic's id (``SegmentSpec.external_id``), so it is also the
platform segment id; elements hang under ``config.parent_element_id`` (default ``ROOT``), which
applies to elements created from then on (a created element keeps its parent).
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
from connections.domain.outbound_errors import OutboundError, UpstreamStatusError
from connections.ports.platforms import PushedSegment, SegmentSpec

DISPLAY_NAME = "The Trade Desk"
DEFAULT_API_BASE_URL = "https://api.thetradedesk.com/v3"
AUTH_HEADER = "TTD-Auth"
TOKEN_MINUTES = 60
RATE_LEVEL = "System"
# Every data provider's elements hang under the taxonomy's ROOT base element (Tealium's guide).
ROOT_ELEMENT = "ROOT"
MAX_ELEMENT_ID_LENGTH = 512
MISSING_PROVIDER_ID = "The Trade Desk needs provider_id (your data provider id) in credentials or config"


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


class ElementRefused(OutboundError):
    """A segment The Trade Desk documents it would refuse; nothing was sent."""


def account_id(config: Mapping[str, Any], credentials: Mapping[str, str], key: str) -> str | None:
    """``provider_id`` or ``brand_id`` from the credentials (where AudienceGPT's guide puts them) or config."""
    value = credentials.get(key) or config.get(key)
    return str(value) if value else None


class TradeDeskDestination:
    """Pushes segments into a data provider's third-party data taxonomy."""

    display_name = DISPLAY_NAME

    def __init__(
        self, client: AuthorizedClient, config: Mapping[str, Any], credentials: Mapping[str, str] | None = None
    ) -> None:
        self._client = client
        self._config = config
        self._api = api_base_url(config)
        self._provider = account_id(config, credentials or {}, "provider_id")
        self._brand = account_id(config, credentials or {}, "brand_id")
        self._parent = str(config.get("parent_element_id") or ROOT_ELEMENT)

    def _provider_id(self) -> str:
        if not self._provider:
            raise IncompleteConnection(MISSING_PROVIDER_ID)
        return self._provider

    def test(self, deadline: Deadline) -> str:
        """Ask for one element of the provider's taxonomy; the answer must be JSON."""
        query = {"ProviderId": self._provider_id(), "PageStartIndex": 0, "PageSize": 1}
        self._client.send("POST", join_url(self._api, "thirdpartydata/query"), deadline, json=query).json()
        return f"Connected to {DISPLAY_NAME} API"

    def new_element(self, segment: SegmentSpec) -> dict[str, Any]:
        """The taxonomy element that creates ``segment``: its id and parent are fixed from then on."""
        element_id = checked_element_id(segment.external_id)
        return {"ProviderId": self._provider_id(), "ProviderElementId": element_id, "ParentElementId": self._parent} | (
            self._changeable(segment) | {"Buyable": True}
        )

    def changed_element(self, element_id: str, segment: SegmentSpec) -> dict[str, Any]:
        """The update of element ``element_id``: names it, and carries only the fields that may change."""
        return {"ProviderId": self._provider_id(), "ProviderElementId": element_id} | self._changeable(segment)

    @staticmethod
    def _changeable(segment: SegmentSpec) -> dict[str, Any]:
        fields: dict[str, Any] = {"DisplayName": segment.name}
        if segment.description:
            fields["Description"] = segment.description
        return fields

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        url = join_url(self._api, "thirdpartydata")
        element = self.new_element(segment)
        try:
            created = self._client.send("POST", url, deadline, json=element, retry=NO_RESEND)
        except UpstreamStatusError as refusal:
            # Our ProviderElementId is the topic id, so an element that already exists is this very
            # segment: an earlier create whose rate call failed, or another connection to the provider.
            if refusal.status == 409 or (refusal.status == 400 and "already exists" in refusal.message.lower()):
                return self.update_segment(segment.external_id, segment, deadline)
            raise
        refuse_failed_lines(created.json())
        self._stage_rate(segment, deadline, element["ProviderElementId"])
        return PushedSegment(element["ProviderElementId"])

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        element = self.changed_element(platform_segment_id, segment)
        self._client.send("PUT", join_url(self._api, "thirdpartydata"), deadline, json=element)
        self._stage_rate(segment, deadline, platform_segment_id)
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        """Nothing to send: no source documents removing or expiring a third-party data element
        (module docstring), so the element stays and only the local record changes."""
        return None

    def _stage_rate(self, segment: SegmentSpec, deadline: Deadline, element_id: str) -> None:
        cpm = segment.cpm if segment.cpm is not None else self._config.get("default_cpm")
        if cpm is None:
            return
        rate: dict[str, Any] = {"ProviderElementId": element_id}
        brand = self._brand or segment.extra.get("brand_id")
        if brand:
            rate["BrandId"] = str(brand)
        rate |= {
            "RateLevel": RATE_LEVEL,
            "RateType": "CPM",
            "CPMRate": {"Amount": cpm, "CurrencyCode": segment.currency or self._config.get("currency") or "USD"},
        }
        batch = {"ProviderId": self._provider_id(), "DataRates": [rate]}
        response = self._client.send(
            "POST", join_url(self._api, "datarate/batch"), deadline, json=batch, retry=NO_RESEND
        )
        refuse_failed_lines(response.json())


def checked_element_id(element_id: str) -> str:
    """``element_id`` if The Trade Desk takes it as a ``ProviderElementId`` (1 to 512 characters)."""
    if not element_id or len(element_id) > MAX_ELEMENT_ID_LENGTH:
        raise ElementRefused(f"The Trade Desk's ProviderElementId must be 1 to {MAX_ELEMENT_ID_LENGTH} characters")
    return element_id
