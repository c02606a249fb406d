"""What one field of a segment says, read once per distinct text: the index words it brings and their
weights, its tier-1 cue words, the nodes its rules point at, whether it marks a business audience, and
the taxonomy node it names exactly when it is a full tier path.

An item is classified by combining its fields' evidence (``rule_based``). A field's evidence depends
only on which field it is and its text, so it is kept for texts seen again: a catalogue repeats its
categories, taxonomy paths, description templates and keywords from segment to segment, and a sync
classifies the same catalogue on every run.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Final

from connections.adapters.classifier.audience_rules import AudienceRules
from connections.adapters.classifier.normalisation import analyse_word, fold, words_of
from connections.adapters.classifier.taxonomy import TaxonomyNode
from connections.adapters.classifier.token_index import TokenIndex
from connections.adapters.classifier.vocabulary import B2B_PATTERNS
from connections.domain.classification import CLASSIFIED_TEXT_BUDGET

# How much each field's words count towards a match; the name is what sellers curate most.
FIELD_WEIGHTS: Final[dict[str, float]] = {
    "name": 1.0,
    "taxonomy_path": 1.0,
    "category": 0.7,
    "keywords": 0.7,
    "description": 0.4,
}
TITLE_FIELDS: Final = frozenset({"name", "taxonomy_path"})
# In a path-style name ("In-Market > Home & Garden > Appliances") the last segment is the audience and
# the earlier ones are the seller's filing; their words count for less.
PARENT_SEGMENT_WEIGHT: Final = 0.7

# Every marker starts at a word that starts with a letter; saying so once skips the other positions fast.
B2B_MARKERS = re.compile(r"\b(?=[a-z])(?:" + "|".join(B2B_PATTERNS) + ")")
# The first word of every marker: a text holding none of them (most texts) has no marker, which a set test
# in C tells without the pattern pass (tests check the two agree).
B2B_FIRST_WORDS: Final = frozenset(
    """b2b business decisionmaker itdm itdms bdm bdms tdm tdms csuite cxo cxos executive executives firmographic
    firmographics technographic technographics company employee employees headcount job industry smb smbs small
    enterprise enterprises professionals procurement purchasing""".split()
)
# Just the separator: "\s*[>|]\s*" tried from every blank of a long run of blanks scanned the rest of the
# run each time (quadratic). The blanks it also took never counted, as every reader of the parts drops
# blanks at their edges (``words_of``, ``path_key``), so the parts read the same.
PATH_SEPARATOR = re.compile(r"[>|]")

ACTIVITY_CUE: Final = "activity"
ACTIVITY_CUE_SHARE: Final = 0.5

# Texts kept, and the longest kept: the classifier is given at most CLASSIFIED_TEXT_BUDGET characters of
# an item on every production path, so longer texts only come from direct calls and are read afresh.
_KEPT_TEXTS: Final = 8_192
_KEPT_WORDS: Final = 50_000


# index words, head word, cues, activity people, title words, known ones, phrase hits, b2b (FieldEvidence)
_WordsSay = tuple[
    tuple[tuple[str, float], ...],
    str | None,
    tuple[str, ...],
    int,
    int,
    int,
    tuple[tuple[float, TaxonomyNode], ...],
    bool,
]
_HAS_DIGIT: Final = re.compile(r"[0-9]")
# A word of digits only (``words_of`` leaves words between single blanks).
_NUMBER_WORD: Final = re.compile(r"(?<![a-z0-9])[0-9]+(?![a-z0-9])")

# cue, canonical topic words, known ones, their index forms, the last known one's form (FieldReader.word)
_WordInfo = tuple[str | None, int, int, tuple[str, ...], str | None]


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One non-empty field of an item, read."""

    name: str
    weight: float
    # Index words (``TokenIndex.resolve`` forms) with the weight of the strongest segment they appear in,
    # sorted.
    index_words: tuple[tuple[str, float], ...]
    # The head word of a title field: the last word the index knows in its last segment. An audience name
    # ends in what its people are ("Urban Apartment *Renters*", "Pet *Groomer* Customers"); the words
    # before it narrow it down.
    head_word: str | None
    # The tier-1 cue of each cue word, sorted.
    cues: tuple[str, ...]
    # Words naming people by an activity the taxonomy knows only as the activity ("Bakers" -> baking,
    # "Scrapbookers" -> scrapbooking): such an audience is that activity's, an interest, though less
    # surely than an explicit "Fans" says so (ACTIVITY_CUE_SHARE of a cue word).
    activity_people: int
    # Canonical topic words in a title field (name, taxonomy path), and how many of them the index knows.
    title_words: int
    known_title_words: int
    # (score, node) of each rule that fired, already weighed by how far this field is trusted.
    rule_hits: tuple[tuple[float, TaxonomyNode], ...]
    b2b: bool
    # The node a title field names by its full tier path ("Interest > Sports > Golf"), if any.
    exact_node: TaxonomyNode | None
    # The same for every field that reads the same ("ACME Golf Fans #12" and "#13" do): texts that differ
    # only in what no rule or word reads share their evidence, so an item of such fields is decided once
    # (``RuleBasedClassifier``). Not part of what the evidence says, so not compared.
    serial: int = field(default=0, compare=False)


def evidence_for_weight(weight: float) -> float:
    """How far a score may be trusted given the field it came from: 1.0 for the name, 0.76 for prose."""
    return 0.6 + 0.4 * weight


def path_key(folded: str) -> str:
    """A ">"/"|" path in one spelling: parts' blanks collapsed, footnote asterisks and empty parts gone."""
    parts = (" ".join(part.replace("*", " ").split()) for part in PATH_SEPARATOR.split(folded))
    return ">".join(part for part in parts if part)


class FieldReader:
    """Reads fields against one taxonomy's index, rules and paths, keeping what it read."""

    def __init__(self, index: TokenIndex, rules: AudienceRules, paths: dict[str, TaxonomyNode]) -> None:
        self._index = index
        self._rules = rules
        self._paths = paths
        # Texts read, per field: names are distinct from item to item, and must not push out the
        # descriptions, categories and keywords that repeat.
        self._texts: dict[str, dict[str, FieldEvidence]] = {name: {} for name in FIELD_WEIGHTS}
        self._words: dict[str, _WordInfo] = {}
        # What the words of a field say (``_words_say``) by field and word text, with the serial of what
        # they say: texts of other words that say the same ("ACME Golf Fans", "Quanta Golf Fans") share one.
        self._said: dict[tuple[str, str, tuple[tuple[float, str], ...]], tuple[_WordsSay, int]] = {}
        self._said_serials: dict[_WordsSay, int] = {}
        # Evidence by the serial of what its words say, its exact node and its numeric rule hits, so that
        # equal evidence is one object with one serial.
        self._distinct: dict[tuple[object, ...], FieldEvidence] = {}
        # Never reused, also after a table is emptied: a serial always stands for one meaning.
        self._serials = itertools.count(1)

    def read(self, name: str, text: str) -> FieldEvidence:
        """The evidence of field ``name`` (a FIELD_WEIGHTS key) holding ``text``."""
        if len(text) > CLASSIFIED_TEXT_BUDGET:
            return self._read(name, text)
        texts = self._texts[name]
        evidence = texts.get(text)
        if evidence is None:
            evidence = self._read(name, text)
            if len(texts) >= _KEPT_TEXTS:
                # Segment names are endless; a warm process must not grow without bound.
                texts.clear()
            texts[text] = evidence
        return evidence

    def word(self, word: str) -> _WordInfo:
        """For one raw word of a ``word_text``: the tier-1 cue it is (else None), how many canonical topic
        words it gives and how many of them the index knows, their index forms (``TokenIndex.forms``),
        and the index form of the last known one. Once per distinct word."""
        info = self._words.get(word)
        if info is None:
            cue, canonical_words = analyse_word(word)
            if cue is None and any(self._index.is_derived(canonical) for canonical in canonical_words):
                cue = ACTIVITY_CUE
            forms = [self._index.forms(canonical) for canonical in canonical_words]
            known = [canonical_forms for canonical_forms in forms if canonical_forms]
            head = known[-1][0] if known else None
            info = (cue, len(canonical_words), len(known), tuple(form for found in known for form in found), head)
            if len(self._words) >= _KEPT_WORDS:
                # Vendor codes and typos are endless too.
                self._words.clear()
            self._words[word] = info
        return info

    def _read(self, name: str, text: str) -> FieldEvidence:
        folded = fold(text)
        words = words_of(folded)
        segments = _segments(folded, words)
        if _HAS_DIGIT.search(words):
            # Numbers are read by the numeric rules from ``folded`` only; to the words and phrases every
            # number is alike, so "Golf Fans #12" and "#13" share what their words say.
            whole = len(segments) == 1 and segments[0][1] is words
            words = _NUMBER_WORD.sub("0", words)
            segments = (
                ((1.0, words),)
                if whole
                else tuple((weight, _NUMBER_WORD.sub("0", segment)) for weight, segment in segments)
            )
        key = (name, words, segments)
        kept = self._said.get(key) if len(text) <= CLASSIFIED_TEXT_BUDGET else None
        if kept is None:
            said = self._words_say(name, words, segments)
            serial = self._said_serials.get(said)
            if serial is None:
                if len(self._said_serials) >= _KEPT_TEXTS:
                    self._said_serials.clear()
                serial = self._said_serials[said] = next(self._serials)
            kept = said, serial
            if len(text) <= CLASSIFIED_TEXT_BUDGET:
                if len(self._said) >= _KEPT_TEXTS:
                    self._said.clear()
                self._said[key] = kept
        said, said_serial = kept
        weight = FIELD_WEIGHTS[name]
        exact_node = None
        if name in TITLE_FIELDS and (">" in folded or "|" in folded):
            path = path_key(folded)
            # A lone word ("Pets") is a topic to score, not a path.
            exact_node = self._paths.get(path) if ">" in path else None
        numeric = self._rules.numeric_hits(folded)
        distinct_key = (
            name,
            said_serial,
            exact_node and exact_node.unique_id,
            *((hit.node.unique_id, hit.score) for hit in numeric),
        )
        distinct = self._distinct.get(distinct_key)
        if distinct is not None:
            return distinct
        index_words, head_word, cues, activity_people, title_words, known_title_words, phrase_hits, b2b = said
        if numeric:
            evidence = evidence_for_weight(weight)
            rule_hits = (*((hit.score * evidence, hit.node) for hit in numeric), *phrase_hits)
        else:
            rule_hits = phrase_hits
        distinct = FieldEvidence(
            name=name,
            weight=weight,
            index_words=index_words,
            head_word=head_word,
            cues=cues,
            activity_people=activity_people,
            title_words=title_words,
            known_title_words=known_title_words,
            rule_hits=rule_hits,
            b2b=b2b,
            exact_node=exact_node,
            serial=next(self._serials),
        )
        if len(self._distinct) >= _KEPT_TEXTS:
            self._distinct.clear()
        self._distinct[distinct_key] = distinct
        return distinct

    def _words_say(self, name: str, words: str, segments: tuple[tuple[float, str], ...]) -> _WordsSay:
        """What a field's words and phrases say (all of its evidence but its numbers and exact path)."""
        weight = FIELD_WEIGHTS[name]
        is_title = name in TITLE_FIELDS
        index_words: dict[str, float] = {}
        cues: list[str] = []
        title_words = known_title_words = activity_people = 0
        head_word = None
        for segment_weight, segment in segments:
            head_word = None
            word_weight = weight * segment_weight
            for raw in segment.split():
                cue, topic_words, known_words, known, head = self.word(raw)
                if cue == ACTIVITY_CUE:
                    activity_people += 1
                elif cue is not None:
                    cues.append(cue)  # a cue word has no topic words, so the loop below adds nothing
                if is_title:
                    title_words += topic_words
                    known_title_words += known_words
                for index_word in known:
                    if index_words.get(index_word, 0.0) < word_weight:
                        index_words[index_word] = word_weight
                if head is not None:
                    head_word = head
        evidence = evidence_for_weight(weight)
        return (
            # Sorted: an item's answer does not depend on the order of its words, and "golf; fans" then
            # reads as the same evidence as "fans; golf".
            tuple(sorted(index_words.items())),
            head_word if is_title else None,
            tuple(sorted(cues)),
            activity_people,
            title_words,
            known_title_words,
            tuple((hit.score * evidence, hit.node) for hit in self._rules.phrase_hits(words)),
            not B2B_FIRST_WORDS.isdisjoint(words.split()) and B2B_MARKERS.search(words) is not None,
        )


def _segments(folded: str, words: str) -> tuple[tuple[float, str], ...]:
    """Word text of each ">" / "|" segment, with the weight its words carry."""
    if ">" not in folded and "|" not in folded:
        return ((1.0, words),)
    parts = [part for part in (words_of(part) for part in PATH_SEPARATOR.split(folded)) if part]
    if len(parts) <= 1:
        return ((1.0, words),)
    return (*((PARENT_SEGMENT_WEIGHT, part) for part in parts[:-1]), (1.0, parts[-1]))
