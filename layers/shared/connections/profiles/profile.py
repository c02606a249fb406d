"""What a platform profile holds: display name, credential shapes, config keys, naming rules, push
settings and the factories of its clients.

The factories import their adapter modules when called, never at import: the domain reads profiles
for validation and naming, and a function that only validates must not load httpx or boto3 at init.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from connections.domain.errors import FieldProblem
from connections.domain.platforms import Platform

if TYPE_CHECKING:
    from connections.adapters.outbound.safe_client import SafeHttpClient
    from connections.adapters.platforms.auth import RequestAuth
    from connections.adapters.platforms.authorized_client import AuthorizedClient
    from connections.adapters.platforms.token_cache import TokenCache
    from connections.domain.config_checks import ConfigKey
    from connections.ports.platforms import SegmentDestination


@dataclass(frozen=True)
class CredentialShape:
    """The credential keys accepted, and the alternative sets of keys that make a complete login."""

    accepted: frozenset[str]
    complete_sets: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class NameRules:
    """A platform's limits: name and description lengths, and characters it refuses."""

    max_name: int
    max_description: int
    refused: re.Pattern[str]


class ClientBuilder(Protocol):
    """What the platform client factory lends a profile's factories: the shared HTTP client and token
    cache, and the authorised client built over them."""

    http: SafeHttpClient
    tokens: TokenCache

    def client(self, auth: RequestAuth, config: Mapping[str, Any]) -> AuthorizedClient: ...


Config = Mapping[str, Any]
Credentials = Mapping[str, str]
AuthFactory = Callable[["ClientBuilder", Config, Credentials], "RequestAuth"]
DestinationFactory = Callable[["ClientBuilder", Config, Credentials], "SegmentDestination"]
ConfigRule = Callable[[Config], list[FieldProblem]]


@dataclass(frozen=True)
class PlatformProfile:
    """Everything one platform adds to a connection's rules and clients."""

    platform: Platform
    display_name: str
    # Named platforms have one shape; custom APIs one per auth_type (see credential_shape).
    credentials: CredentialShape | Mapping[str, CredentialShape]
    name_rules: NameRules
    default_template: str
    push_concurrency: int
    # Whose pushes need a price (LiveRamp's use cases are priced): a push brings cpm or config.default_cpm.
    priced: bool
    auth: AuthFactory
    destination: DestinationFactory
    # Config keys only this platform takes (the keys common to all are in connection_config.py).
    config_keys: Mapping[str, ConfigKey] = field(default_factory=dict)
    # Checks of the pushing config as a whole, once every key passed its own check.
    outbound_rules: tuple[ConfigRule, ...] = ()
    # Keys a pushing connection must have, with the message naming why.
    required_outbound_keys: Mapping[str, str] = field(default_factory=dict)
    # An id its pushes cannot do without, taken from credentials or config under the same key.
    push_account_id: str | None = None

    def credential_shape(self, auth_type: str | None) -> tuple[CredentialShape, str]:
        """The shape a credential set must have, and how to name what asks for it in a message."""
        if isinstance(self.credentials, CredentialShape):
            return self.credentials, f"platform {self.platform.value}"
        return self.credentials[auth_type or "none"], f"auth_type '{auth_type or 'none'}'"
