"""Builds each connection's platform clients over the container's one SafeHttpClient and token cache.

Inbound, every platform is read by the paged REST source (``rest_source``); custom APIs authorise by
``auth_type``, the named platforms with their own tokens (``auth_type: none`` turns that off).
Outbound, each platform's profile builds its destination (Index Exchange writes taxonomy files to S3).
Both are built with the decrypted credentials here, so this is where they go behind the credential
redactor: nothing a platform answers reaches the services with a credential value in it
(``domain/credential_redaction.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.adapters.outbound.safe_client import DEFAULT_MAX_BYTES, SafeHttpClient
from connections.adapters.platforms.auth import NoAuth, RequestAuth
from connections.adapters.platforms.authorized_client import AuthorizedClient
from connections.adapters.platforms.platform_errors import IncompleteConnection
from connections.adapters.platforms.rest_source import RestSegmentSource
from connections.adapters.platforms.token_cache import TokenCache, shared_token_cache
from connections.domain.credential_redaction import redacting_destination, redacting_source
from connections.ports.platforms import SegmentDestination, SegmentSource
from connections.profiles.registry import profile_of


class PlatformClientFactory:
    """``PlatformClients`` for every platform of the registry (connections/profiles/registry.py)."""

    def __init__(
        self,
        http: SafeHttpClient,
        *,
        token_cache: TokenCache | None = None,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.http = http
        self.tokens = token_cache or shared_token_cache()
        self._max_bytes = max_response_bytes

    def source(self, platform: str, config: dict[str, Any], credentials: dict[str, str]) -> SegmentSource:
        """The paged source of an inbound (or bidirectional) connection."""
        if not config.get("base_url"):
            raise IncompleteConnection("config.base_url is required to pull segments")
        auth: RequestAuth = (
            NoAuth() if config.get("auth_type") == "none" else profile_of(platform).auth(self, config, credentials)
        )
        return redacting_source(RestSegmentSource(self.client(auth, config), config), credentials)

    def destination(
        self, platform: str, config: dict[str, Any], credentials: dict[str, str], connection_id: str
    ) -> SegmentDestination:
        """The destination of an outbound (or bidirectional) connection."""
        return redacting_destination(profile_of(platform).destination(self, config, credentials), credentials)

    def client(self, auth: RequestAuth, config: Mapping[str, Any]) -> AuthorizedClient:
        """An authorised client over the shared HTTP client, with the custom API's extra headers."""
        headers = config.get("headers")
        extra = {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else None
        return AuthorizedClient(self.http, auth, headers=extra, max_bytes=self._max_bytes)
