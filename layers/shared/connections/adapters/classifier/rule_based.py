"""Rule-based classification of segments against the IAB Audience Taxonomy 1.1.

For each item, in order of trust:
1. a tier path that names a taxonomy node exactly ("Interest > Sports > Golf") wins outright;
2. range and phrase rules for seller conventions (``audience_rules``);
3. the token index over node names (``token_index``), steered by tier-1 cue words such as
   "In-Market" / "Intenders" (Purchase Intent) or "Enthusiasts" / "Fans" (Interest).
The highest score wins; it is reported as the confidence. Nothing below ``min_confidence`` is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Final

from connections.adapters.classifier.audience_rules import AudienceRules
from connections.adapters.classifier.field_evidence import (
    ACTIVITY_CUE_SHARE,
    FIELD_WEIGHTS,
    PARENT_SEGMENT_WEIGHT,
    FieldEvidence,
    FieldReader,
    evidence_for_weight,
    path_key,
)
from connections.adapters.classifier.normalisation import fold
from connections.adapters.classifier.taxonomy import Taxonomy, TaxonomyNode, load_taxonomy
from connections.adapters.classifier.token_index import TokenIndex
from connections.adapters.classifier.vocabulary import NODE_ALIASES
from connections.domain.classification import (
    B2B,
    B2C,
    DEMOGRAPHIC,
    INTEREST,
    PURCHASE_INTENT,
    ClassifiableItem,
    Classification,
)

ENGINE_VERSION: Final = "rules-1.2.0"
MIN_CONFIDENCE: Final = 0.35

EXACT_PATH_SCORE: Final = 1.0
# How much more of the query a title's head word is than its other words (``FieldEvidence.head_word``).
HEAD_WORD_EMPHASIS: Final = 1.4
# A word match is never as certain as an exact path or a bucket rule.
TOPIC_SCORE_CAP: Final = 0.95
# A node whose tier 1 contradicts the seller's own cue words ("Intenders" vs an Interest node).
CONFLICTING_TIER_FACTOR: Final = 0.4
# Words in the name or path that the taxonomy does not know ("Golf Stuff") make a word match less sure;
# at most by this share, when none of them is known.
UNKNOWN_WORD_PENALTY: Final = 0.2
# Cue weight needed before a tier-1 hint counts: one cue in the name, or several in a description. It is
# a share of the weight of the strongest field that brings index words: when only the description says
# anything ("Segment 2210" described as "likely to book a beach vacation"), one cue in it is enough.
HINT_THRESHOLD: Final = 0.5
# When nothing else separates two nodes: a topic is more often an interest than a purchase.
TIER1_PREFERENCE: Final = (INTEREST, PURCHASE_INTENT, DEMOGRAPHIC)
# Without cue words a purchase-intent node needs a slightly better match: half the taxonomy is product
# detail (1,558 nodes, 864 of them Purchase Intent) that would otherwise win on any shared noun.
UNHINTED_TIER_FACTOR: Final[dict[str, float]] = {INTEREST: 1.0, DEMOGRAPHIC: 1.0, PURCHASE_INTENT: 0.97}

# Answers kept per classifier (see ``RuleBasedClassifier._answers``).
_KEPT_ANSWERS: Final = 16_384
_UNSEEN: Final = object()

# evidence_for_weight of every weight a word can have (a field's, times a path segment's), worked out once.
_EVIDENCE_BY_WEIGHT: Final = {
    weight * segment: evidence_for_weight(weight * segment)
    for weight in FIELD_WEIGHTS.values()
    for segment in (1.0, PARENT_SEGMENT_WEIGHT)
}


# What the word match reads of an item (``_merged``): its query words and weights, head words, cue weight
# per tier 1 and strongest field; then, apart, what only scales or joins the word match: title words, the
# known ones, rule hits.
_TopicKey = tuple[tuple[tuple[str, float], ...], tuple[str, ...], tuple[float, ...], float]
_Merged = tuple[_TopicKey, int, int, tuple[tuple[float, TaxonomyNode], ...]]
# The hint a topic key gives and its leading word matches, (score before word certainty, node).
_Leaders = tuple[str | None, tuple[tuple[float, TaxonomyNode], ...]]
# Word certainty is at least 1 - UNKNOWN_WORD_PENALTY, so a word match within this of the best before it
# is applied may be within the ranking's 1e-6 of it after; the leaders keep every one of them.
_LEADER_MARGIN: Final = 1e-6 / (1.0 - UNKNOWN_WORD_PENALTY) * 2


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
        self.paths = {path_key(fold(">".join(node.tiers))): node for node in taxonomy}
        without_tier1: dict[str, list[TaxonomyNode]] = {}
        for node in taxonomy:
            if node.depth > 1:
                without_tier1.setdefault(path_key(fold(">".join(node.tiers[1:]))), []).append(node)
        # A path given without its tier 1 only counts when it names a single node.
        for key, nodes in without_tier1.items():
            if len(nodes) == 1:
                self.paths.setdefault(key, nodes[0])
        self.fields = FieldReader(self.index, self.rules, self.paths)


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
        # The answer for each combination of field evidence met (by serial, in field order): an answer
        # depends on nothing else, and catalogues name many segments alike but for ids, vendor prefixes
        # and case ("ACME - Golf Fans #12"), which no word or rule reads.
        self._answers: dict[tuple[int, ...], Classification | None] = {}
        self._leaders: dict[_TopicKey, _Leaders] = {}

    @cached_property
    def _engine(self) -> _Engine:
        return _engine_for(self._taxonomy if self._taxonomy is not None else load_taxonomy())

    def warm_up(self) -> None:
        """Load the taxonomy and build the index now rather than on the first item."""
        _ = self._engine

    def classify(self, item: ClassifiableItem) -> Classification | None:
        """The best node for the item, or None when nothing reaches the minimum confidence."""
        fields = _fields(self._engine.fields, item)
        key = tuple([field.serial for field in fields])
        answer = self._answers.get(key, _UNSEEN)
        if answer is _UNSEEN:
            answer = self._decide(fields)
            if len(self._answers) >= _KEPT_ANSWERS:
                self._answers.clear()  # a warm process must not grow without bound
            self._answers[key] = answer
        return answer  # type: ignore[return-value]

    def _decide(self, fields: list[FieldEvidence]) -> Classification | None:
        exact = next((field.exact_node for field in fields if field.exact_node is not None), None)
        best = _Candidate(exact, EXACT_PATH_SCORE) if exact is not None else self._match(fields)
        if best is None or best.score < self._min_confidence:
            return None
        return Classification(
            iab_code=best.node.unique_id,
            tier1=best.node.tier1,
            tier_path=best.node.tiers,
            segment_type=B2B if any(field.b2b for field in fields) else B2C,
            confidence=round(min(best.score, 1.0), 3),
            engine_version=self.engine_version,
        )

    def _match(self, fields: list[FieldEvidence]) -> _Candidate | None:
        topic_key, title_words, known_title_words, rule_hits = _merged(fields)
        # Items whose fields differ but add up to the same words and cues (a keyword that repeats a word of
        # the name, a vendor prefix the taxonomy does not know, another description template without topic
        # words) have the same word match, scaled by how many of their title words are known.
        leaders = self._leaders.get(topic_key)
        if leaders is None:
            leaders = _word_leaders(self._engine, topic_key)
            if len(self._leaders) >= _KEPT_ANSWERS:
                self._leaders.clear()
            self._leaders[topic_key] = leaders
        hint, leading = leaders
        explained = known_title_words / title_words if title_words else 1.0
        word_certainty = 1.0 - UNKNOWN_WORD_PENALTY * (1.0 - explained)
        candidates = [*rule_hits, *((score * word_certainty, node) for score, node in leading)]
        if not candidates:
            return None
        # Only near-ties need the full ranking key, and most items have none.
        top = max(candidates, key=_score_of)[0] - 1e-6
        near_ties = [_Candidate(node, score) for score, node in candidates if score >= top]
        return near_ties[0] if len(near_ties) == 1 else min(near_ties, key=lambda candidate: candidate.rank(hint))

    def classify_many(self, items: Sequence[ClassifiableItem]) -> list[Classification | None]:
        """One answer per item, in order."""
        return [self.classify(item) for item in items]


def _field_texts(item: ClassifiableItem) -> list[tuple[str, str]]:
    """(field name, text) of each field of the item that says anything."""
    texts = (
        ("name", item.name),
        ("taxonomy_path", item.taxonomy_path),
        ("category", item.category),
        ("keywords", "; ".join(item.keywords)),
        ("description", item.description),
    )
    return [(name, text) for name, text in texts if text and not text.isspace()]


def _fields(reader: FieldReader, item: ClassifiableItem) -> list[FieldEvidence]:
    return [reader.read(name, text) for name, text in _field_texts(item)]


def _merged(fields: list[FieldEvidence]) -> _Merged:
    """What the word match of an item reads of its fields: the topic key ``_word_leaders`` scores, apart
    from what only scales or joins its answer (title words, known ones, rule hits)."""
    # Index word -> the weight of the strongest field (and path segment) it appears in.
    query: dict[str, float] = {}
    cue_weight = dict.fromkeys(TIER1_PREFERENCE, 0.0)
    rule_hits: list[tuple[float, TaxonomyNode]] = []
    title_words = known_title_words = 0
    heads: set[str] = set()
    strongest_field = 0.0
    for field in fields:
        if field.index_words and field.weight > strongest_field:
            strongest_field = field.weight
        if field.head_word is not None:
            heads.add(field.head_word)
        for index_word, weight in field.index_words:
            if query.get(index_word, 0.0) < weight:
                query[index_word] = weight
        for cue in field.cues:
            cue_weight[cue] += field.weight
        if field.activity_people:
            cue_weight[INTEREST] += field.weight * ACTIVITY_CUE_SHARE * field.activity_people
        title_words += field.title_words
        known_title_words += field.known_title_words
        rule_hits.extend(field.rule_hits)
    topic_key = (tuple(sorted(query.items())), tuple(sorted(heads)), tuple(cue_weight.values()), strongest_field)
    return topic_key, title_words, known_title_words, tuple(rule_hits)


def _word_leaders(engine: _Engine, topic_key: _TopicKey) -> _Leaders:
    """The tier-1 hint and the leading word matches (scores before word certainty) of a topic key."""
    query_items, heads, cue_weights, strongest_field = topic_key
    if not query_items:
        return None, ()
    cue_weight = dict(zip(TIER1_PREFERENCE, cue_weights, strict=True))
    scored = engine.index.scores(dict(query_items), dict.fromkeys(heads, HEAD_WORD_EMPHASIS))
    strongest = max(cue_weights)
    leaders = [tier for tier, weight in cue_weight.items() if weight == strongest]
    hint = leaders[0] if strongest >= HINT_THRESHOLD * strongest_field and strongest > 0 and len(leaders) == 1 else None
    if hint is not None and not any(tier1 == hint for _, tier1, _, _ in scored):
        # Cue words choose among the nodes the words point at; when none is of the cued tier they say
        # nothing ("Honeymooners": people of an activity, and only a purchase-intent node for it).
        hint = None
    # The factor each tier 1 takes under this hint (a node of the hinted tier keeps its score).
    tier_factor = (
        UNHINTED_TIER_FACTOR
        if hint is None
        else {tier: 1.0 if tier == hint else CONFLICTING_TIER_FACTOR for tier in TIER1_PREFERENCE}
    )
    evidence = _EVIDENCE_BY_WEIGHT
    # One expression per candidate: a query's words have tens of candidates.
    candidates = [
        ((score if score < TOPIC_SCORE_CAP else TOPIC_SCORE_CAP) * evidence[field_weight] * tier_factor[tier1], node)
        for node, tier1, score, field_weight in scored
    ]
    if not candidates:
        return hint, ()
    floor = max(candidates, key=_score_of)[0] - _LEADER_MARGIN
    return hint, tuple(candidate for candidate in candidates if candidate[0] >= floor)


def _score_of(candidate: tuple[float, TaxonomyNode]) -> float:
    return candidate[0]
