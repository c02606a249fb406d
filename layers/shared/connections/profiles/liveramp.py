"""LiveRamp Data Marketplace seller API (sources: adapters/platforms/liveramp.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connections.domain.config_checks import ConfigKey, choice, names
from connections.domain.errors import FieldProblem
from connections.domain.platforms import Platform
from connections.profiles._naming import MARKUP
from connections.profiles.profile import ClientBuilder, Config, Credentials, CredentialShape, NameRules, PlatformProfile

if TYPE_CHECKING:
    from connections.adapters.platforms.auth import RequestAuth
    from connections.ports.platforms import SegmentDestination

SEGMENT_TYPES = ("SYNDICATED", "CUSTOM", "DIRECT")
_ALLOWLISTED_TYPES = ("CUSTOM", "DIRECT")


def _allowed_platforms_rule(config: Config) -> list[FieldProblem]:
    """allowedPlatforms is required for CUSTOM and DIRECT segments and must not be used for SYNDICATED."""
    segment_type = config.get("segment_type", "SYNDICATED")
    has_platforms = "allowed_platforms" in config
    if segment_type in _ALLOWLISTED_TYPES and not has_platforms:
        return [FieldProblem("config.allowed_platforms", f"is required for segment_type {segment_type}")]
    if segment_type == "SYNDICATED" and has_platforms:
        return [FieldProblem("config.allowed_platforms", "must not be set for segment_type SYNDICATED")]
    return []


def _auth(builder: ClientBuilder, config: Config, credentials: Credentials) -> RequestAuth:
    from connections.adapters.platforms.liveramp import liveramp_auth

    return liveramp_auth(config, credentials, builder.http, builder.tokens)


def _destination(builder: ClientBuilder, config: Config, credentials: Credentials) -> SegmentDestination:
    from connections.adapters.platforms.liveramp import LiveRampDestination

    return LiveRampDestination(builder.client(_auth(builder, config, credentials), config), config)


PROFILE = PlatformProfile(
    platform=Platform.LIVERAMP,
    display_name="LiveRamp",
    # OAuth2 password grant (account id + secret key) or client-credentials grant, and the org id
    # every call sends as LR-Org-Id (required by LiveRamp).
    credentials=CredentialShape(
        frozenset({"username", "password", "client_id", "client_secret", "org_id"}),
        (frozenset({"username", "password", "org_id"}), frozenset({"client_id", "client_secret", "org_id"})),
    ),
    name_rules=NameRules(255, 1000, MARKUP),
    default_template="iab_path",
    push_concurrency=8,
    # Every permitted use case carries a price.
    priced=True,
    auth=_auth,
    destination=_destination,
    config_keys={
        "segment_type": ConfigKey(choice(SEGMENT_TYPES), outbound=True),
        "allowed_platforms": ConfigKey(names("platform names"), outbound=True),
        "permitted_use_cases": ConfigKey(names("use case names"), outbound=True),
    },
    outbound_rules=(_allowed_platforms_rule,),
)
