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
from functools import cache, cached_property
from typing import Final

from connections.adapters.classifier.audience_rules import AudienceRules
from connections.adapters.classifier.normalisation import analyse_words, fold, words_of
from connections.adapters.classifier.taxonomy import Taxonomy, TaxonomyNode, load_taxonomy
from connections.adapters.classifier.token_index import TokenIndex
from connections.adapters.classifier.vocabulary import B2B_PATTERNS, NODE_ALIASES
from connections.domain.classification import (
    B2B,
    B2C,
    DEMOGRAPHIC,
    INTEREST,
    PURCHASE_INTENT,
    ClassifiableItem,
    Classification,
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
# Words in the name or path that the taxonomy does not know ("Golf Stuff") make a word match less sure;
# at most by this share, when none of them is known.
UNKNOWN_WORD_PENALTY: Final = 0.2
TITLE_FIELDS: Final = frozenset({"name", "taxonomy_path"})
# Cue weight needed before a tier-1 hint counts: one cue in the name, or several in a description.
HINT_THRESHOLD: Final = 0.5
# When nothing else separates two nodes: a topic is more often an interest than a purchase.
TIER1_PREFERENCE: Final = (INTEREST, PURCHASE_INTENT, DEMOGRAPHIC)
# Without cue words a purchase-intent node needs a slightly better match: half the taxonomy is product
# detail (1,558 nodes, 864 of them Purchase Intent) that would otherwise win on any shared noun.
UNHINTED_TIER_FACTOR: Final[dict[str, float]] = {INTEREST: 1.0, DEMOGRAPHIC: 1.0, PURCHASE_INTENT: 0.97}
# In a path-style name ("In-Market > Home & Garden > Appliances") the last segment is the audience and
# the earlier ones are the seller's filing; their words count for less.
PARENT_SEGMENT_WEIGHT: Final = 0.7

# Every marker starts at a word that starts with a letter; saying so once skips the other positions fast.
_B2B = re.compile(r"\b(?=[a-z])(?:" + "|".join(B2B_PATTERNS) + ")")
# Just the separator: "\s*[>|]\s*" tried from every blank of a long run of blanks scanned the rest of the
# run each time (quadratic). The blanks it also took never counted, as every reader of the parts drops
# blanks at their edges (``words_of``, ``_path_key``), so the parts read the same.
_PATH_SEPARATOR = re.compile(r"[>|]")


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
        self.paths = {_path_key(fold(">".join(node.tiers))): node for node in taxonomy}
        without_tier1: dict[str, list[TaxonomyNode]] = {}
        for node in taxonomy:
            if node.depth > 1:
                without_tier1.setdefault(_path_key(fold(">".join(node.tiers[1:]))), []).append(node)
        # A path given without its tier 1 only counts when it names a single node.
        for key, nodes in without_tier1.items():
            if len(nodes) == 1:
                self.paths.setdefault(key, nodes[0])


@cache
def _engine_for(taxonomy: Taxonomy) -> _Engine:
    """One engine per taxonomy object, shared by every classifier in the process."""
    return _Engine(taxonomy)


class RuleBasedClassifier:
    """Maps segments to IAB Audience Taxonomy 1.1 nodes with word tables and rules; stdlib only."""

    engine_version: str = ENGINE_VERSION

    def __init__(self, taxonomy: Taxonomy | None = None, *, min_confidence: float = MIN_CONFIDENCE) -> None:
        self._taxonomy = taxonomy
        self._min_confidence = min_confidence

    @cached_property
    def _engine(self) -> _Engine:
        return _engine_for(self._taxonomy if self._taxonomy is not None else load_taxonomy())

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
            segment_type=B2B if any(_B2B.search(field.words) for field in fields) else B2C,
            confidence=round(min(best.score, 1.0), 3),
            engine_version=self.engine_version,
        )

    def classify_many(self, items: Sequence[ClassifiableItem]) -> list[Classification | None]:
        """One answer per item, in order."""
        return [self.classify(item) for item in items]

    @staticmethod
    def _exact_path(engine: _Engine, fields: list[_Field]) -> _Candidate | None:
        for field in fields:
            if field.name in TITLE_FIELDS:
                key = _path_key(field.folded)
                # A lone word ("Pets") is a topic to score, not a path.
                node = engine.paths.get(key) if ">" in key else None
                if node is not None:
                    return _Candidate(node, EXACT_PATH_SCORE)
        return None

    @staticmethod
    def _best_match(engine: _Engine, fields: list[_Field]) -> _Candidate | None:
        query: dict[str, float] = {}
        cue_weight = dict.fromkeys(TIER1_PREFERENCE, 0.0)
        # (score, node) pairs: a text of many taxonomy words has hundreds, and only the near-ties at the
        # top need a _Candidate and its ranking key.
        candidates: list[tuple[float, TaxonomyNode]] = []
        title_words = known_title_words = 0
        for field in fields:
            for segment_weight, segment in field.segments:
                analysed = analyse_words(segment)
                for word in analysed.words:
                    query[word] = max(query.get(word, 0.0), field.weight * segment_weight)
                    if field.name in TITLE_FIELDS:
                        title_words += 1
                        known_title_words += engine.index.resolve(word) is not None
                for cue in analysed.cues:
                    cue_weight[cue] += field.weight
            evidence = _evidence_for_weight(field.weight)
            candidates.extend((hit.score * evidence, hit.node) for hit in engine.rules.hits(field.folded, field.words))

        strongest = max(cue_weight.values())
        leaders = [tier for tier, weight in cue_weight.items() if weight == strongest]
        hint = leaders[0] if strongest >= HINT_THRESHOLD and len(leaders) == 1 else None

        explained = known_title_words / title_words if title_words else 1.0
        word_certainty = 1.0 - UNKNOWN_WORD_PENALTY * (1.0 - explained)
        for match in engine.index.match(query):
            score = min(match.score, TOPIC_SCORE_CAP) * _evidence_for_weight(match.field_weight) * word_certainty
            if hint is None:
                score *= UNHINTED_TIER_FACTOR[match.node.tier1]
            elif match.node.tier1 != hint:
                score *= CONFLICTING_TIER_FACTOR
            candidates.append((score, match.node))
        if not candidates:
            return None
        # Only near-ties need the full ranking key.
        top = max(score for score, _ in candidates) - 1e-6
        near_ties = (_Candidate(node, score) for score, node in candidates if score >= top)
        return min(near_ties, key=lambda candidate: candidate.rank(hint))


@dataclass(frozen=True, slots=True)
class _Field:
    """One non-empty field of an item, normalised once."""

    name: str
    weight: float
    folded: str
    words: str
    segments: tuple[tuple[float, str], ...]


def _fields(item: ClassifiableItem) -> list[_Field]:
    texts = (
        ("name", item.name),
        ("taxonomy_path", item.taxonomy_path),
        ("category", item.category),
        ("keywords", "; ".join(item.keywords)),
        ("description", item.description),
    )
    fields = []
    for name, text in texts:
        if not text or not text.strip():
            continue
        folded = fold(text)
        words = words_of(folded)
        fields.append(_Field(name, FIELD_WEIGHTS[name], folded, words, _segments(folded, words)))
    return fields


def _segments(folded: str, words: str) -> tuple[tuple[float, str], ...]:
    """Word text of each ">" / "|" segment, with the weight its words carry."""
    if ">" not in folded and "|" not in folded:
        return ((1.0, words),)
    parts = [part for part in (words_of(part) for part in _PATH_SEPARATOR.split(folded)) if part]
    if len(parts) <= 1:
        return ((1.0, words),)
    return (*((PARENT_SEGMENT_WEIGHT, part) for part in parts[:-1]), (1.0, parts[-1]))


def _evidence_for_weight(weight: float) -> float:
    """How far a score may be trusted given the field it came from: 1.0 for the name, 0.76 for prose."""
    return 0.6 + 0.4 * weight


def _path_key(folded: str) -> str:
    parts = (" ".join(part.replace("*", " ").split()) for part in _PATH_SEPARATOR.split(folded))
    return ">".join(part for part in parts if part)
