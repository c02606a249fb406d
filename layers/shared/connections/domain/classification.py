"""What a segment classifier reads and what it answers, against the IAB Audience Taxonomy 1.1."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

DEMOGRAPHIC: Final = "Demographic"
INTEREST: Final = "Interest"
# The taxonomy file spells this "Purchase Intent*"; the asterisk is a footnote marker, not part of the name.
PURCHASE_INTENT: Final = "Purchase Intent"
TIER1_NAMES: Final = (DEMOGRAPHIC, INTEREST, PURCHASE_INTENT)

B2C: Final = "B2C"
B2B: Final = "B2B"
SEGMENT_TYPES: Final = (B2C, B2B)


# How much of a topic's text is classified (README, "caps"): at most this many characters in all, taken
# field by field in the classifier's order of trust (name, taxonomy path, category, keywords,
# description), so the work per item is bounded whatever the caps on stored fields let through (a topic
# may store 200 + 3 x 1,000 + 50 x 100 characters; no labelled segment has more than 110, no item the
# bench generates from them more than 180). The stored topic keeps its fields whole; only what the
# classifier reads is cut.
CLASSIFIED_TEXT_BUDGET: Final = 300


@dataclass(frozen=True, slots=True)
class ClassifiableItem:
    """One incoming segment as the classifier sees it; every field but the name is optional."""

    name: str
    description: str | None = None
    keywords: tuple[str, ...] = ()
    category: str | None = None
    taxonomy_path: str | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> ClassifiableItem:
        """The classifiable view of a topic's fields (``topic_name``, ``description``, ``keywords``,
        ``category``, ``taxonomy_path``, as ``map_item`` gives them), within CLASSIFIED_TEXT_BUDGET.

        Values of other types than text (a number as a description) are left out; keywords are texts.
        """
        keywords = fields.get("keywords") or ()
        return cls(
            name=str(fields["topic_name"]),
            description=_text(fields.get("description")),
            keywords=tuple(str(word) for word in keywords) if isinstance(keywords, list | tuple) else (),
            category=_text(fields.get("category")),
            taxonomy_path=_text(fields.get("taxonomy_path")),
        ).within_budget()

    def within_budget(self, budget: int = CLASSIFIED_TEXT_BUDGET) -> ClassifiableItem:
        """This item with at most ``budget`` characters of text, the fields in order of trust.

        A field that does not fit is cut at its last blank within what is left of the budget (anywhere,
        if it has none there); keywords are taken whole while they fit. Fields after the budget is spent
        are left out. An item that fits is returned as it is.
        """
        lengths = (
            len(self.name),
            len(self.taxonomy_path or ""),
            len(self.category or ""),
            sum(map(len, self.keywords)),
            len(self.description or ""),
        )
        if sum(lengths) <= budget:
            return self
        left = budget
        name, left = _cut_to(self.name, left)
        taxonomy_path, left = _cut_to(self.taxonomy_path, left)
        category, left = _cut_to(self.category, left)
        keywords = []
        for keyword in self.keywords:
            if len(keyword) > left:
                break
            keywords.append(keyword)
            left -= len(keyword)
        description, left = _cut_to(self.description, left)
        return replace(
            self,
            name=name or "",
            taxonomy_path=taxonomy_path,
            category=category,
            keywords=tuple(keywords),
            description=description,
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _cut_to(text: str | None, left: int) -> tuple[str | None, int]:
    """``text`` within ``left`` characters (cut at its last blank there when it has one), and what is left."""
    if text is None or len(text) <= left:
        return text, left - len(text or "")
    cut = text[:left]
    blank = cut.rfind(" ")
    cut = (cut[:blank] if blank > 0 else cut).rstrip()
    return cut or None, 0


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
