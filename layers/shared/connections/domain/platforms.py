"""The platforms a connection can point at, and the directions data can flow (what each platform
adds is in its profile, connections/profiles/)."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    LIVERAMP = "liveramp"
    TRADEDESK = "tradedesk"
    INDEXEXCHANGE = "indexexchange"
    CUSTOM_API = "custom_api"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BIDIRECTIONAL = "bidirectional"

    @property
    def pulls(self) -> bool:
        """True when segments are synced in from the platform."""
        return self is not Direction.OUTBOUND

    @property
    def pushes(self) -> bool:
        """True when topics are pushed out to the platform."""
        return self is not Direction.INBOUND


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    ERROR = "error"
