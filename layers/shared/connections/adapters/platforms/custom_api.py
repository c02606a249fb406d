"""Custom REST APIs as push destinations: the contract the project documents for them.

Every request goes to ``config.api_base_url`` with the connection's auth (``auth_type`` bearer,
basic, api_key (header ``api_key_header``, default ``X-API-Key``) or none), its extra ``headers``,
``Accept: application/json`` and, with a body, ``Content-Type: application/json``:

- test: ``GET {api_base_url}``; any 2xx passes.
- create: ``POST {api_base_url}/segments`` with
  ``{"external_id", "name", "description", "cpm", "currency", "taxonomy_path", "data_source_location"}``
  (``cpm`` falls back to ``default_cpm``, ``currency`` to the config's, ``data_source_location`` to the
  config's; ``taxonomy_path`` is a list of names); the answer must be 2xx JSON with an ``id`` (string
  or number), which becomes the segment's platform id. A create is not resent after a 5xx or a
  dropped connection (it may have been applied); a 429 is retried.
- update: ``PUT {api_base_url}/segments/{id}`` with the same body; any 2xx.
- deactivate: ``DELETE {api_base_url}/segments/{id}``; any 2xx, and 404 or 410 (already gone).

``{id}`` is percent-encoded. 401 reads "Authentication failed (401)", 403 "Access denied (403)",
other statuses "Platform returned HTTP <status>" with the ``message``/``error`` field of a JSON
answer when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.adapters.platforms.authorized_client import NO_RESEND, AuthorizedClient, item_url, join_url
from connections.adapters.platforms.platform_errors import IncompleteConnection
from connections.adapters.platforms.response_fields import platform_id
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import MalformedResponse
from connections.ports.platforms import PushedSegment, SegmentSpec

DISPLAY_NAME = "Custom"
GONE = (404, 410)


def segment_body(segment: SegmentSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a create or update."""
    return {
        "external_id": segment.external_id,
        "name": segment.name,
        "description": segment.description,
        "cpm": segment.cpm if segment.cpm is not None else config.get("default_cpm"),
        "currency": segment.currency or config.get("currency") or "USD",
        "taxonomy_path": list(segment.taxonomy_path),
        "data_source_location": segment.data_source_location or config.get("data_source_location"),
    }


class CustomApiDestination:
    """Pushes segments to an API that follows the contract above."""

    display_name = DISPLAY_NAME

    def __init__(self, client: AuthorizedClient, config: Mapping[str, Any]) -> None:
        base = config.get("api_base_url")
        if not base:
            raise IncompleteConnection("config.api_base_url is required to push to a custom API")
        self._client = client
        self._config = config
        self._base = str(base)
        self._segments_url = join_url(self._base, "segments")

    def test(self, deadline: Deadline) -> str:
        """``GET {api_base_url}``."""
        self._client.send("GET", self._base, deadline)
        return f"Connected to {DISPLAY_NAME} API"

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        body = segment_body(segment, self._config)
        response = self._client.send("POST", self._segments_url, deadline, json=body, retry=NO_RESEND)
        document = response.json()
        created = platform_id(document.get("id")) if isinstance(document, dict) else None
        if created is None:
            raise MalformedResponse("Custom API did not return the new segment's id")
        return PushedSegment(created)

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        url = item_url(self._segments_url, platform_segment_id)
        self._client.send("PUT", url, deadline, json=segment_body(segment, self._config))
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        self._client.send("DELETE", item_url(self._segments_url, platform_segment_id), deadline, also_fine=GONE)
