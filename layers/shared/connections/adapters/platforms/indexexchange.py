"""Index Exchange: API tokens, and registration of segments in the Index ecosystem.

What Index Exchange documents (api.indexexchange.com reference, kb.indexexchange.com):

- ``POST https://auth.indexexchange.com/auth/oauth/token`` returns an ``accessToken``, a Bearer
  token for the API that expires after one hour. The API key it is exchanged for is generated on
  the user's profile page of the Index UI (credential ``key``, with the Index UI login as
  ``username``). Public client code sends ``{"username", "key"}`` as JSON and reads
  ``data.accessToken`` from ``{"responseCode": 200, "data": {...}}``; a top-level ``accessToken``
  is read too.
- Segments must be registered before segment data is sent; registration is "by API or by taxonomy
  file". The taxonomy file is ``{"version": "2.0", "segments": [{"externalSegmentID",
  "externalSegmentName", ...}]}`` with both fields at most 255 UTF-8 characters. A registered
  segment is Active or Paused, and may carry a standard fee (CPM).

Assumed, because Index Exchange does not publish the registration API (agree these with Index
before relying on pushes):

- ``api_base_url`` defaults to https://api01.indexexchange.com/api (the host public clients call);
- ``POST {api_base_url}/segments`` registers one segment, the body being one taxonomy-file entry:
  ``{"externalSegmentID", "externalSegmentName", "description", "status": "Active",
  "standardFee": {"cpm", "currency"}}`` (fee only when a CPM is known); the answer's
  ``segmentID``/``id`` (top level or under ``data``) is the platform id, else our
  ``externalSegmentID`` is;
- ``PUT {api_base_url}/segments/{id}`` updates with the same body; deactivation is that ``PUT`` with
  ``{"status": "Paused"}``.

The connection test only obtains a token (always a new one, which proves the key works now).
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
from connections.ports.platforms import PushedSegment, SegmentSpec

DISPLAY_NAME = "Index Exchange"
DEFAULT_TOKEN_URL = "https://auth.indexexchange.com/auth/oauth/token"  # noqa: S105 - an endpoint, not a secret
DEFAULT_API_BASE_URL = "https://api01.indexexchange.com/api"
TOKEN_LIFETIME = 3600.0
MAX_NAME_LENGTH = 255


def read_token(document: Any) -> IssuedToken | None:
    """``accessToken`` (under ``data`` or at the top), living one hour unless the answer says otherwise."""
    if not isinstance(document, dict):
        return None
    nested = document.get("data")
    data: dict[str, Any] = nested if isinstance(nested, dict) else document
    token = data.get("accessToken")
    if not isinstance(token, str):
        return None
    lifetime = seconds(data.get("expiresIn", data.get("expires_in")), TOKEN_LIFETIME)
    return IssuedToken(token, lifetime)


def indexexchange_auth(
    config: Mapping[str, Any], credentials: Mapping[str, str], http: SafeHttpClient, cache: TokenCache
) -> TokenAuth:
    """Bearer tokens for username + API key from the Index Exchange token endpoint."""
    username, key = credentials.get("username"), credentials.get("key")
    if not (username and key):
        raise IncompleteConnection("Index Exchange needs the credentials username and key")
    token_url = str(config.get("token_url") or DEFAULT_TOKEN_URL)
    body = {"username": username, "key": key}
    secrets = (username, key)

    def issue(deadline: Deadline) -> IssuedToken:
        return request_token(http, token_url, deadline, read_token, json=body, secrets=secrets)

    return TokenAuth(
        cache=cache,
        cache_key=token_cache_key("indexexchange", token_url, credentials),
        issue=issue,
        secret_values=secrets,
    )


def registration(segment: SegmentSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """One segment as a taxonomy-file entry (see the module notes on what is assumed)."""
    body: dict[str, Any] = {
        "externalSegmentID": segment.external_id[:MAX_NAME_LENGTH],
        "externalSegmentName": segment.name[:MAX_NAME_LENGTH],
        "description": segment.description,
        "status": "Active",
    }
    cpm = segment.cpm if segment.cpm is not None else config.get("default_cpm")
    if cpm is not None:
        body["standardFee"] = {"cpm": cpm, "currency": segment.currency or config.get("currency") or "USD"}
    return body


class IndexExchangeDestination:
    """Registers segments with Index Exchange."""

    display_name = DISPLAY_NAME

    def __init__(self, client: AuthorizedClient, auth: TokenAuth, config: Mapping[str, Any]) -> None:
        self._client = client
        self._auth = auth
        self._config = config
        self._segments_url = join_url(str(config.get("api_base_url") or DEFAULT_API_BASE_URL), "segments")

    def test(self, deadline: Deadline) -> str:
        """Obtain a new token."""
        self._auth.issue_new(deadline)
        return f"Connected to {DISPLAY_NAME} API"

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        body = registration(segment, self._config)
        response = self._client.send("POST", self._segments_url, deadline, json=body, retry=NO_RESEND)
        return PushedSegment(_registered_id(response.json()) or body["externalSegmentID"])

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        url = item_url(self._segments_url, platform_segment_id)
        self._client.send("PUT", url, deadline, json=registration(segment, self._config))
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        url = item_url(self._segments_url, platform_segment_id)
        self._client.send("PUT", url, deadline, json={"status": "Paused"})


def _registered_id(document: Any) -> str | None:
    for holder in (document, document.get("data") if isinstance(document, dict) else None):
        if isinstance(holder, dict):
            for name in ("segmentID", "segmentId", "id"):
                found = platform_id(holder.get(name))
                if found is not None:
                    return found
    return None
