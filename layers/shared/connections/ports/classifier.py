"""Mapping incoming segments to IAB Audience Taxonomy nodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connections.domain.classification import ClassifiableItem, Classification


class Classifier(Protocol):
    engine_version: str

    def classify(self, item: ClassifiableItem) -> Classification | None:
        """The best taxonomy node for the item, or None when nothing fits with enough confidence."""
        ...

    def classify_many(self, items: Sequence[ClassifiableItem]) -> list[Classification | None]:
        """One answer per item, in the same order."""
        ...
