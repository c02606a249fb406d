"""The Trade Desk: third-party data taxonomy elements and rates (sources: adapters/platforms/tradedesk.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connections.domain.config_checks import ConfigKey, text
from connections.domain.platforms import Platform
from connections.profiles._naming import MARKUP
from connections.profiles.profile import ClientBuilder, Config, Credentials, CredentialShape, NameRules, PlatformProfile

if TYPE_CHECKING:
    from connections.adapters.platforms.auth import RequestAuth
    from connections.ports.platforms import SegmentDestination

MAX_ELEMENT_ID_LENGTH = 512
_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NO_CONTROLS = re.compile(r"[^\x00-\x1f\x7f-\x9f]*")


def _element_id(value: Any) -> str | None:
    # The Trade Desk's ProviderElementId (a parent is named by its ProviderElementId): at most 512 characters.
    if not isinstance(value, str) or not value.strip() or not _NO_CONTROLS.fullmatch(value):
        return "must be a non-empty string without control characters"
    if len(value) > MAX_ELEMENT_ID_LENGTH:
        return f"must be at most {MAX_ELEMENT_ID_LENGTH} characters"
    return None


def _auth(builder: ClientBuilder, config: Config, credentials: Credentials) -> RequestAuth:
    from connections.adapters.platforms.tradedesk import tradedesk_auth

    return tradedesk_auth(config, credentials, builder.http, builder.tokens)


def _destination(builder: ClientBuilder, config: Config, credentials: Credentials) -> SegmentDestination:
    from connections.adapters.platforms.tradedesk import TradeDeskDestination

    return TradeDeskDestination(builder.client(_auth(builder, config, credentials), config), config, credentials)


PROFILE = PlatformProfile(
    platform=Platform.TRADEDESK,
    display_name="The Trade Desk",
    # A long-lived API token, or login + password exchanged at POST /v3/authentication; the data
    # provider id and an optional brand id where AudienceGPT's guide puts them (or in config).
    credentials=CredentialShape(
        frozenset({"api_key", "login", "password", "provider_id", "brand_id"}),
        (frozenset({"api_key"}), frozenset({"login", "password"})),
    ),
    name_rules=NameRules(128, 1024, MARKUP),
    default_template="iab_path",
    # Rate limits are per endpoint and unpublished (429 expected): fewer calls at once than elsewhere.
    push_concurrency=4,
    priced=False,
    auth=_auth,
    destination=_destination,
    config_keys={
        # Data provider and brand ids (also accepted in credentials, where AudienceGPT's guide puts
        # them), and the parent of the elements created from now on (default ROOT).
        "provider_id": ConfigKey(text(_PROVIDER_ID, "letters, digits, '-' or '_'"), outbound=True),
        "brand_id": ConfigKey(text(_PROVIDER_ID, "letters, digits, '-' or '_'"), outbound=True),
        "parent_element_id": ConfigKey(_element_id, outbound=True),
    },
    push_account_id="provider_id",
)
