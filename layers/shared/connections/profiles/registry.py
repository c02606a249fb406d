"""The platform registry: every profile, by platform. Adding a platform is one profile module and one
line here (and its fake in tests/fakes/)."""

from __future__ import annotations

from collections.abc import Mapping

from connections.domain.platforms import Platform
from connections.profiles import custom_api, indexexchange, liveramp, tradedesk
from connections.profiles.profile import PlatformProfile

PROFILES: Mapping[Platform, PlatformProfile] = {
    profile.platform: profile
    for profile in (liveramp.PROFILE, tradedesk.PROFILE, indexexchange.PROFILE, custom_api.PROFILE)
}


def profile_of(platform: Platform | str) -> PlatformProfile:
    """The profile of a platform (a ``Platform`` or its value)."""
    return PROFILES[Platform(platform)]
