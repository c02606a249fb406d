"""An inverted index from canonical words to taxonomy nodes, and the match score of a query.

Built once per taxonomy. A query only visits the nodes whose own name (or alias) shares a word with it,
never the whole taxonomy.

Score of a node for a query (all sums weighted by each word's inverse document frequency, so
"services" counts for less than "snowboarding"):
- precision: the share of the node's own name that the query covers;
- recall: the share of the query the node's path explains, words in ancestor names counting
  ``ANCESTOR_CREDIT`` of a word in the node's own name;
- the score is their harmonic mean, so the deepest node whose path explains the query wins, and a
  node with many unmatched words in its own name loses to a plainer one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from connections.adapters.classifier.normalisation import analyse
from connections.adapters.classifier.taxonomy import Taxonomy, TaxonomyNode

ANCESTOR_CREDIT = 0.8
# Names made only of numbers and unit words ("$250,000+", "Less Than 1 Year") are reached through the
# numeric range rules, not through words.
_UNIT_WORDS = frozenset(
    "less than over year years people person adult adults child children usd k m plus".split()
)
_LETTERS = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """A node the query's words point at, its score in [0, 1] and the strongest field behind it."""

    node: TaxonomyNode
    score: float
    field_weight: float


@dataclass(frozen=True, slots=True)
class _IndexedName:
    node: TaxonomyNode
    words: frozenset[str]
    weight: float
    ancestor_words: frozenset[str]


class TokenIndex:
    """Word -> node postings over the taxonomy's own names and aliases."""

    def __init__(self, taxonomy: Taxonomy, aliases: Mapping[tuple[str, ...], Iterable[str]] = ()) -> None:
        alias_map = dict(aliases)
        own_words: list[tuple[TaxonomyNode, frozenset[str]]] = []
        path_words: dict[tuple[str, ...], frozenset[str]] = {}
        for node in taxonomy:
            words = frozenset(analyse(node.name).words)
            path_words[node.tiers] = words
            if node.depth == 1 or node.is_extension or _is_numeric_name(node.name):
                continue
            variants = {words} | {frozenset(analyse(alias).words) for alias in alias_map.get(node.tiers, ())}
            own_words.extend((node, variant) for variant in variants if variant)

        document_frequency: dict[str, int] = {}
        for node_words in {(node.unique_id, words) for node, words in own_words}:
            for word in node_words[1]:
                document_frequency[word] = document_frequency.get(word, 0) + 1
        node_count = len(taxonomy)
        self._idf = {word: math.log(1 + node_count / count) for word, count in document_frequency.items()}
        self._rare_idf = math.log(1 + node_count)

        self._names: list[_IndexedName] = []
        self._postings: dict[str, list[int]] = {}
        for node, words in own_words:
            ancestors = frozenset().union(
                *(path_words.get(node.tiers[:depth], _tier_words(node.tiers[depth - 1]))
                  for depth in range(2, node.depth))
            )
            indexed = _IndexedName(node, words, sum(self.idf(word) for word in words), ancestors - words)
            for word in words:
                self._postings.setdefault(word, []).append(len(self._names))
            self._names.append(indexed)
        self._vocabulary = frozenset(self._postings).union(*(name.ancestor_words for name in self._names))

    def __len__(self) -> int:
        return len(self._names)

    def idf(self, word: str) -> float:
        return self._idf.get(word, self._rare_idf)

    def knows(self, word: str) -> bool:
        """Whether the word appears anywhere in the indexed taxonomy names."""
        return word in self._vocabulary

    def match(self, query: Mapping[str, float]) -> list[TopicMatch]:
        """Scored nodes for query words (word -> field weight), best variant per node, unordered."""
        weighted = {word: weight * self.idf(word) for word, weight in query.items() if word in self._vocabulary}
        total = sum(weighted.values())
        if total <= 0:
            return []
        candidates: set[int] = set()
        for word in weighted:
            candidates.update(self._postings.get(word, ()))
        best: dict[str, TopicMatch] = {}
        for position in candidates:
            name = self._names[position]
            own_idf = 0.0
            recall_mass = 0.0
            strongest = 0.0
            for word in name.words:
                if word in weighted:
                    own_idf += self.idf(word)
                    recall_mass += weighted[word]
                    strongest = max(strongest, query[word])
            for word, mass in weighted.items():
                if word in name.ancestor_words:
                    recall_mass += ANCESTOR_CREDIT * mass
                    strongest = max(strongest, query[word])
            precision = own_idf / name.weight
            recall = recall_mass / total
            score = 2 * precision * recall / (precision + recall)
            current = best.get(name.node.unique_id)
            if current is None or score > current.score:
                best[name.node.unique_id] = TopicMatch(name.node, score, strongest)
        return list(best.values())


def _tier_words(tier_name: str) -> frozenset[str]:
    return frozenset(analyse(tier_name).words)


def _is_numeric_name(name: str) -> bool:
    if not any(ch.isdigit() for ch in name):
        return False
    return all(word in _UNIT_WORDS for word in _LETTERS.findall(name.lower()))
