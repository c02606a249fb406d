"""Custom REST APIs: the user describes the API in config (URLs, paths, auth_type, headers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connections.domain.config_checks import ConfigKey, choice, headers
from connections.domain.platforms import Platform
from connections.profiles._naming import CONTROL
from connections.profiles.profile import ClientBuilder, Config, Credentials, CredentialShape, NameRules, PlatformProfile

if TYPE_CHECKING:
    from connections.adapters.platforms.auth import RequestAuth
    from connections.ports.platforms import SegmentDestination

AUTH_TYPES = ("bearer", "basic", "api_key", "none")


def _auth(builder: ClientBuilder, config: Config, credentials: Credentials) -> RequestAuth:
    from connections.adapters.platforms.auth import custom_auth

    return custom_auth(config, credentials)


def _destination(builder: ClientBuilder, config: Config, credentials: Credentials) -> SegmentDestination:
    from connections.adapters.platforms.custom_api import CustomApiDestination

    return CustomApiDestination(builder.client(_auth(builder, config, credentials), config), config)


PROFILE = PlatformProfile(
    platform=Platform.CUSTOM_API,
    display_name="Custom",
    # What each auth_type needs.
    credentials={
        "bearer": CredentialShape(frozenset({"token", "api_key"}), (frozenset({"token"}), frozenset({"api_key"}))),
        "basic": CredentialShape(frozenset({"username", "password"}), (frozenset({"username", "password"}),)),
        "api_key": CredentialShape(frozenset({"api_key"}), (frozenset({"api_key"}),)),
        "none": CredentialShape(frozenset(), (frozenset(),)),
    },
    name_rules=NameRules(255, 2000, CONTROL),
    default_template="name",
    push_concurrency=8,
    priced=False,
    auth=_auth,
    destination=_destination,
    config_keys={
        "auth_type": ConfigKey(choice(AUTH_TYPES), inbound=True, outbound=True),
        "headers": ConfigKey(headers, inbound=True, outbound=True),
    },
)
