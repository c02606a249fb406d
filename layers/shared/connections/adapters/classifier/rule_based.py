"""Rule-based classification of segments against the IAB Audience Taxonomy 1.1.

For each item, in order of trust:
1. a tier path that names a taxonomy node exactly ("Interest > Sports > Golf") wins outright;
2. range and phrase rules for seller conventions (``audience_rules``);
3. the token index over node names (``token_index``), steered by tier-1 cue words such as
   "In-Market" / "Intenders" (Purchase Intent) or "Enthusiasts" / "Fans" (Interest).
The highest score wins; it is reported as the confidence. Nothing below ``min_confidence`` is returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from connections.adapters.classifier.audience_rules import AudienceRules
from connections.adapters.classifier.normalisation import analyse_words, fold, word_text
from connections.adapters.classifier.taxonomy import Taxonomy, TaxonomyNode, load_taxonomy
from connections.adapters.classifier.token_index import TokenIndex
from connections.adapters.classifier.vocabulary import B2B_PATTERNS, NODE_ALIASES
from connections.domain.classification import (
    B2B,
    B2C,
    DEMOGRAPHIC,
    INTEREST,
    PURCHASE_INTENT,
    Classification,
    ClassifiableItem,
)

ENGINE_VERSION: Final = "rules-1.0.0"
MIN_CONFIDENCE: Final = 0.35

# How much each field's words count towards a match; the name is what sellers curate most.
FIELD_WEIGHTS: Final[dict[str, float]] = {
    "name": 1.0,
    "taxonomy_path": 1.0,
    "category": 0.7,
    "keywords": 0.7,
    "description": 0.4,
}
EXACT_PATH_SCORE: Final = 1.0
# A word match is never as certain as an exact path or a bucket rule.
TOPIC_SCORE_CAP: Final = 0.95
# A node whose tier 1 contradicts the seller's own cue words ("Intenders" vs an Interest node).
CONFLICTING_TIER_FACTOR: Final = 0.6
# Cue weight needed before a tier-1 hint counts: one cue in the name, or several in a description.
HINT_THRESHOLD: Final = 0.5
# When nothing else separates two nodes: a topic is more often an interest than a purchase.
TIER1_PREFERENCE: Final = (INTEREST, PURCHASE_INTENT, DEMOGRAPHIC)

_B2B = re.compile("|".join(B2B_PATTERNS))
_PATH_SEPARATOR = re.compile(r"\s*[>|]\s*")


@dataclass(frozen=True, slots=True)
class _Candidate:
    node: TaxonomyNode
    score: float

    def rank(self, hint: str | None) -> tuple[float, int, int, int, int]:
        return (
            -round(self.score, 6),
            0 if hint is None or self.node.tier1 == hint else 1,
            TIER1_PREFERENCE.index(self.node.tier1),
            self.node.depth,
            int(self.node.unique_id) if self.node.unique_id.isdigit() else 0,
        )


class _Engine:
    """The taxonomy with its path lookup, token index and rules; built once."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.index = TokenIndex(taxonomy, NODE_ALIASES)
        self.rules = AudienceRules(taxonomy)
        self.paths = {_path_key(">".join(node.tiers)): node for node in taxonomy}
        without_tier1: dict[str, list[TaxonomyNode]] = {}
        for node in taxonomy:
            if node.depth > 1:
                without_tier1.setdefault(_path_key(">".join(node.tiers[1:])), []).append(node)
        # A path given without its tier 1 only counts when it names a single node.
        for key, nodes in without_tier1.items():
            if len(nodes) == 1:
                self.paths.setdefault(key, nodes[0])


class RuleBasedClassifier:
    """Maps segments to IAB Audience Taxonomy 1.1 nodes with word tables and rules; stdlib only."""

    engine_version: str = ENGINE_VERSION

    def __init__(self, taxonomy: Taxonomy | None = None, *, min_confidence: float = MIN_CONFIDENCE) -> None:
        self._taxonomy = taxonomy
        self._min_confidence = min_confidence

    @cached_property
    def _engine(self) -> _Engine:
        return _Engine(self._taxonomy if self._taxonomy is not None else load_taxonomy())

    def warm_up(self) -> None:
        """Load the taxonomy and build the index now rather than on the first item."""
        _ = self._engine

    def classify(self, item: ClassifiableItem) -> Classification | None:
        """The best node for the item, or None when nothing reaches the minimum confidence."""
        engine = self._engine
        fields = _fields(item)
        best = self._exact_path(engine, fields) or self._best_match(engine, fields)
        if best is None or best.score < self._min_confidence:
            return None
        return Classification(
            iab_code=best.node.unique_id,
            tier1=best.node.tier1,
            tier_path=best.node.tiers,
            segment_type=_segment_type(fields),
            confidence=round(min(best.score, 1.0), 3),
            engine_version=self.engine_version,
        )

    def classify_many(self, items: Sequence[ClassifiableItem]) -> list[Classification | None]:
        """One answer per item, in order."""
        return [self.classify(item) for item in items]

    @staticmethod
    def _exact_path(engine: _Engine, fields: list[tuple[str, str]]) -> _Candidate | None:
        for field, text in fields:
            if field in ("taxonomy_path", "name", "category"):
                node = engine.paths.get(_path_key(text))
                if node is not None:
                    return _Candidate(node, EXACT_PATH_SCORE * _evidence(field))
        return None

    @staticmethod
    def _best_match(engine: _Engine, fields: list[tuple[str, str]]) -> _Candidate | None:
        query: dict[str, float] = {}
        cue_weight = dict.fromkeys(TIER1_PREFERENCE, 0.0)
        candidates: list[_Candidate] = []
        for field, text in fields:
            weight = FIELD_WEIGHTS[field]
            words = word_text(text)
            analysed = analyse_words(words)
            for word in analysed.words:
                query[word] = max(query.get(word, 0.0), weight)
            for cue in analysed.cues:
                cue_weight[cue] += weight
            evidence = _evidence(field)
            candidates.extend(
                _Candidate(hit.node, hit.score * evidence) for hit in engine.rules.hits(fold(text), words)
            )

        strongest = max(cue_weight.values())
        leaders = [tier for tier, weight in cue_weight.items() if weight == strongest]
        hint = leaders[0] if strongest >= HINT_THRESHOLD and len(leaders) == 1 else None

        for match in engine.index.match(query):
            score = min(match.score, TOPIC_SCORE_CAP) * _evidence_for_weight(match.field_weight)
            if hint is not None and match.node.tier1 != hint:
                score *= CONFLICTING_TIER_FACTOR
            candidates.append(_Candidate(match.node, score))
        if not candidates:
            return None
        return min(candidates, key=lambda candidate: candidate.rank(hint))


def _fields(item: ClassifiableItem) -> list[tuple[str, str]]:
    fields = [
        ("name", item.name),
        ("taxonomy_path", item.taxonomy_path),
        ("category", item.category),
        ("keywords", " | ".join(item.keywords)),
        ("description", item.description),
    ]
    return [(field, text) for field, text in fields if text and text.strip()]


def _evidence(field: str) -> float:
    return _evidence_for_weight(FIELD_WEIGHTS[field])


def _evidence_for_weight(weight: float) -> float:
    """How far a score may be trusted given the field it came from: 1.0 for the name, 0.76 for prose."""
    return 0.6 + 0.4 * weight


def _segment_type(fields: list[tuple[str, str]]) -> str:
    return B2B if any(_B2B.search(word_text(text)) for _, text in fields) else B2C


def _path_key(text: str) -> str:
    parts = (" ".join(part.replace("*", " ").split()) for part in _PATH_SEPARATOR.split(fold(text)))
    return ">".join(part for part in parts if part)
