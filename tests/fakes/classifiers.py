"""A Classifier that answers from a table instead of the taxonomy: a test says which names get which
node, and sees what was asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from connections.domain.classification import B2C, INTEREST, ClassifiableItem, Classification

if TYPE_CHECKING:
    from connections.ports.classifier import Classifier

ENGINE_VERSION = "fixed-1"


def interest(iab_code: str, *path: str, engine_version: str = ENGINE_VERSION) -> Classification:
    """An Interest node with the given tier path (the first tier is Interest)."""
    return Classification(iab_code, INTEREST, (INTEREST, *path), B2C, 0.9, engine_version)


class FixedClassifier:
    def __init__(self, by_name: Mapping[str, Classification] | None = None, engine_version: str = ENGINE_VERSION):
        self.engine_version = engine_version
        self._by_name = dict(by_name or {})
        self.asked: list[ClassifiableItem] = []

    def classify(self, item: ClassifiableItem) -> Classification | None:
        self.asked.append(item)
        return self._by_name.get(item.name)

    def classify_many(self, items: Sequence[ClassifiableItem]) -> list[Classification | None]:
        return [self.classify(item) for item in items]


if TYPE_CHECKING:
    _: Classifier = FixedClassifier()
