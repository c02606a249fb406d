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
_UNIT_WORDS = frozenset("less than over year years people person adult adults child children usd k m plus".split())
_LETTERS = re.compile(r"[a-z]+")
_DERIVED_CACHE_LIMIT = 50_000
_COMPOUND_SEPARATOR = re.compile(r"\s*(?:&|,|\band\b)\s*")


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

    def __init__(self, taxonomy: Taxonomy, aliases: Mapping[tuple[str, ...], Iterable[str]] | None = None) -> None:
        alias_map = dict(aliases or {})
        own_words: list[tuple[TaxonomyNode, frozenset[str]]] = []
        path_words: dict[tuple[str, ...], frozenset[str]] = {}
        for node in taxonomy:
            words = frozenset(analyse(node.name).words)
            path_words[node.tiers] = words
            if node.depth == 1 or node.is_extension or _is_numeric_name(node.name):
                continue
            alias_texts = [*alias_map.get(node.tiers, ()), *_compound_parts(node)]
            variants = {words} | {frozenset(analyse(alias).words) for alias in alias_texts}
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
                *(
                    path_words.get(node.tiers[:depth], _tier_words(node.tiers[depth - 1]))
                    for depth in range(2, node.depth)
                )
            )
            indexed = _IndexedName(node, words, sum(self.idf(word) for word in words), ancestors - words)
            for word in words:
                self._postings.setdefault(word, []).append(len(self._names))
            self._names.append(indexed)
        # The same as plain tuples, read by ``scores`` for every candidate of every item.
        self._rows = [(name.node, name.node.tier1, name.weight, name.ancestor_words) for name in self._names]
        self._vocabulary = frozenset(self._postings).union(*(name.ancestor_words for name in self._names))
        self._derived: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self._names)

    def idf(self, word: str) -> float:
        return self._idf.get(word, self._rare_idf)

    def resolve(self, word: str) -> str | None:
        """The word, or the taxonomy's form of it ("bakers" -> "baking"), or None when unknown."""
        if word in self._vocabulary:
            return word
        resolved = self._derived.get(word, "")
        if resolved == "":
            resolved = next((form for form in _derivations(word) if form in self._vocabulary), None)
            if len(self._derived) >= _DERIVED_CACHE_LIMIT:
                # Vendor codes and typos are endless; a warm process must not grow without bound.
                self._derived.clear()
            self._derived[word] = resolved
        return resolved

    def forms(self, word: str) -> tuple[str, ...]:
        """``resolve``'s form of the word, and its activity form too when the taxonomy names both the
        person and the activity ("groomer" is in "Electric Shaver Groomer", "grooming" in "Pet Grooming"):
        a seller's "Pet Groomer Customers" means the activity as much as the product."""
        resolved = self.resolve(word)
        if resolved is None:
            return ()
        if resolved == word:
            activity = next((form for form in _derivations(word) if form in self._vocabulary), None)
            if activity is not None and activity != word:
                return (word, activity)
        return (resolved,)

    def is_derived(self, word: str) -> bool:
        """Whether the word is known only through its activity form ("bakers" -> "baking")."""
        return word not in self._vocabulary and self.resolve(word) is not None

    def match(self, query: Mapping[str, float]) -> list[TopicMatch]:
        """Scored nodes for query words (word -> field weight), best variant per node, unordered."""
        resolved_query: dict[str, float] = {}
        for raw_word, weight in query.items():
            word = self.resolve(raw_word)
            if word is not None:
                resolved_query[word] = max(resolved_query.get(word, 0.0), weight)
        best: dict[str, TopicMatch] = {}
        for node, _, score, weight in self.scores(resolved_query):
            current = best.get(node.unique_id)
            if current is None or score > current.score:
                best[node.unique_id] = TopicMatch(node, score, weight)
        return list(best.values())

    def scores(
        self, query: Mapping[str, float], emphasis: Mapping[str, float] | None = None
    ) -> list[tuple[TaxonomyNode, str, float, float]]:
        """``match`` for words already in the index's own form (``resolve``): (node, its tier 1, score, field
        weight) of every variant of a node (name, alias, half of a compound) that shares a word with the
        query, unordered. The classifier's per-item path: it wants the best score, so a node may appear more
        than once and nothing is built per candidate but its tuple."""
        idf = self._idf.get
        rare = self._rare_idf
        weighted = {word: weight * idf(word, rare) for word, weight in query.items()}
        for word, factor in (emphasis or {}).items():
            if word in weighted:
                weighted[word] *= factor
        total = sum(weighted.values())
        if total <= 0:
            return []
        # A query has a few words and each word a few postings: the sums over a candidate's own words are
        # gathered by walking the postings of the query's words once, not by intersecting every
        # candidate's name with the query. Per candidate: [own idf, own mass, strongest field weight].
        postings = self._postings
        sums: dict[int, list[float]] = {}
        for word, mass in weighted.items():
            found = postings.get(word)
            if found is None:
                continue
            word_idf, weight = self._idf[word], query[word]
            if not sums:
                sums = {position: [word_idf, mass, weight] for position in found}
                continue
            for position in found:
                entry = sums.get(position)
                if entry is None:
                    sums[position] = [word_idf, mass, weight]
                else:
                    entry[0] += word_idf
                    entry[1] += mass
                    if weight > entry[2]:
                        entry[2] = weight
        rows = self._rows
        scored: list[tuple[TaxonomyNode, str, float, float]] = []
        for position, (own_idf, recall_mass, strongest) in sums.items():
            node, tier1, name_weight, ancestor_words = rows[position]
            if not ancestor_words.isdisjoint(weighted):
                ancestor_mass = 0.0
                for word, mass in weighted.items():
                    if word in ancestor_words:
                        ancestor_mass += mass
                        strongest = max(strongest, query[word])
                recall_mass += ANCESTOR_CREDIT * ancestor_mass
            precision = own_idf / name_weight
            recall = recall_mass / total
            scored.append((node, tier1, 2 * precision * recall / (precision + recall), strongest))
        return scored


def _derivations(word: str) -> list[str]:
    """Activity forms of a person-noun: sellers name people ("Bakers"), the taxonomy names activities."""
    forms: list[str] = []
    if word.endswith("er") and len(word) > 4:
        base = word[:-2]
        forms += [base + "ing", base + "eing", word[:-1], base]
        if base[-1] == base[-2]:
            forms.append(base[:-1] + "ing")
    elif word.endswith("ist") and len(word) > 5:
        base = word[:-3]
        forms += [base + "ing", base + "y", base + "ism"]
    elif word.endswith("ian") and len(word) > 5:
        forms += [word[:-3] + "y", word[:-1]]
    elif word.endswith("ic") and len(word) > 4:
        forms += [word[:-2] + "or", word + "s"]
    return forms


def _compound_parts(node: TaxonomyNode) -> list[str]:
    """Each half of a tier-2 name like "Style & Fashion", so "Fashionistas" meets the whole vertical."""
    if node.depth != 2:
        return []
    parts = _COMPOUND_SEPARATOR.split(node.name)
    return parts if len(parts) > 1 else []


def _tier_words(tier_name: str) -> frozenset[str]:
    return frozenset(analyse(tier_name).words)


def _is_numeric_name(name: str) -> bool:
    if not any(ch.isdigit() for ch in name):
        return False
    return all(word in _UNIT_WORDS for word in _LETTERS.findall(name.lower()))
