"""What a segment classifier reads and what it answers, against the IAB Audience Taxonomy 1.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

DEMOGRAPHIC: Final = "Demographic"
INTEREST: Final = "Interest"
# The taxonomy file spells this "Purchase Intent*"; the asterisk is a footnote marker, not part of the name.
PURCHASE_INTENT: Final = "Purchase Intent"
TIER1_NAMES: Final = (DEMOGRAPHIC, INTEREST, PURCHASE_INTENT)

B2C: Final = "B2C"
B2B: Final = "B2B"
SEGMENT_TYPES: Final = (B2C, B2B)


@dataclass(frozen=True, slots=True)
class ClassifiableItem:
    """One incoming segment as the classifier sees it; every field but the name is optional."""

    name: str
    description: str | None = None
    keywords: tuple[str, ...] = ()
    category: str | None = None
    taxonomy_path: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """The taxonomy node chosen for an item, how sure the engine is, and which engine said so."""

    iab_code: str
    tier1: str
    tier_path: tuple[str, ...]
    segment_type: str
    confidence: float
    engine_version: str

    def __post_init__(self) -> None:
        if self.tier1 not in TIER1_NAMES:
            raise ValueError(f"unknown tier1 {self.tier1!r}")
        if self.segment_type not in SEGMENT_TYPES:
            raise ValueError(f"unknown segment type {self.segment_type!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("confidence must lie between 0 and 1")

    def to_dict(self) -> dict[str, Any]:
        """The API's camelCase shape."""
        return {
            "iabCode": self.iab_code,
            "tier1": self.tier1,
            "tierPath": list(self.tier_path),
            "segmentType": self.segment_type,
            "confidence": self.confidence,
            "engineVersion": self.engine_version,
        }
