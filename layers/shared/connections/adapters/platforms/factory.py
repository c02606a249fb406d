"""Builds each connection's platform clients over the container's one SafeHttpClient and token cache.

Inbound, every platform is read by the paged REST source (``rest_source``); custom APIs authorise by
``auth_type``, the named platforms with their own tokens (``auth_type: none`` turns that off).
Outbound, each platform has its destination module (Index Exchange writes taxonomy files to S3). Both
are built with the decrypted credentials here, so this is where they go behind the credential
redactor: nothing a platform answers reaches the services with a credential value in it
(``domain/credential_redaction.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.adapters.outbound.safe_client import DEFAULT_MAX_BYTES, SafeHttpClient
from connections.adapters.platforms.auth import NoAuth, RequestAuth, custom_auth
from connections.adapters.platforms.authorized_client import AuthorizedClient
from connections.adapters.platforms.custom_api import CustomApiDestination
from connections.adapters.platforms.indexexchange import (
    IndexExchangeDestination,
    indexexchange_auth,
    s3_client_factory,
)
from connections.adapters.platforms.liveramp import LiveRampDestination, liveramp_auth
from connections.adapters.platforms.platform_errors import IncompleteConnection
from connections.adapters.platforms.rest_source import RestSegmentSource
from connections.adapters.platforms.token_cache import TokenCache, shared_token_cache
from connections.adapters.platforms.tradedesk import TradeDeskDestination, tradedesk_auth
from connections.domain.credential_redaction import redacting_destination, redacting_source
from connections.domain.platforms import Platform
from connections.ports.platforms import SegmentDestination, SegmentSource


class PlatformClientFactory:
    """``PlatformClients`` for LiveRamp, The Trade Desk, Index Exchange and custom REST APIs."""

    def __init__(
        self,
        http: SafeHttpClient,
        *,
        token_cache: TokenCache | None = None,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._http = http
        self._tokens = token_cache or shared_token_cache()
        self._max_bytes = max_response_bytes

    def source(self, platform: str, config: dict[str, Any], credentials: dict[str, str]) -> SegmentSource:
        """The paged source of an inbound (or bidirectional) connection."""
        if not config.get("base_url"):
            raise IncompleteConnection("config.base_url is required to pull segments")
        kind = Platform(platform)
        if config.get("auth_type") == "none":
            auth: RequestAuth = NoAuth()
        elif kind is Platform.CUSTOM_API:
            auth = custom_auth(config, credentials)
        else:
            auth = self._platform_auth(kind, config, credentials)
        return redacting_source(RestSegmentSource(self._client(auth, config), config), credentials)

    def destination(
        self, platform: str, config: dict[str, Any], credentials: dict[str, str], connection_id: str
    ) -> SegmentDestination:
        """The destination of an outbound (or bidirectional) connection."""
        return redacting_destination(self._destination(Platform(platform), config, credentials), credentials)

    def _destination(self, kind: Platform, config: dict[str, Any], credentials: dict[str, str]) -> SegmentDestination:
        if kind is Platform.CUSTOM_API:
            return CustomApiDestination(self._client(custom_auth(config, credentials), config), config)
        if kind is Platform.INDEXEXCHANGE:  # file-based: taxonomy files in the connection's S3 bucket
            return IndexExchangeDestination(s3_client_factory(config, credentials), config)
        client = self._client(self._platform_auth(kind, config, credentials), config)
        if kind is Platform.LIVERAMP:
            return LiveRampDestination(client, config)
        return TradeDeskDestination(client, config, credentials)

    def _platform_auth(self, kind: Platform, config: Mapping[str, Any], credentials: Mapping[str, str]) -> RequestAuth:
        if kind is Platform.LIVERAMP:
            return liveramp_auth(config, credentials, self._http, self._tokens)
        if kind is Platform.TRADEDESK:
            return tradedesk_auth(config, credentials, self._http, self._tokens)
        return indexexchange_auth(config, credentials, self._http, self._tokens)

    def _client(self, auth: RequestAuth, config: Mapping[str, Any]) -> AuthorizedClient:
        headers = config.get("headers")
        extra = {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else None
        return AuthorizedClient(self._http, auth, headers=extra, max_bytes=self._max_bytes)
