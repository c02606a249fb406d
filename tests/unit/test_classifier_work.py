"""How much work the classifier does per item: each distinct word analysed once, phrase and range rules
evaluated no more than their answer needs, and every shortcut giving exactly what the long way gave.

Work is counted (calls, pattern passes), never timed; the shortcuts are checked against the plain
computations they replace, kept here as oracles.
"""

from __future__ import annotations

import math
import random
import re
import string
from collections.abc import Iterator
from typing import Any

import pytest

from connections.adapters.classifier import audience_rules, field_evidence, normalisation, rule_based
from connections.adapters.classifier.audience_rules import PARTIAL_PHRASE_SCORE, PHRASE_RULES, PHRASE_SCORE, RuleHit
from connections.adapters.classifier.normalisation import analyse_words, fold, word_text
from connections.adapters.classifier.rule_based import RuleBasedClassifier
from connections.adapters.classifier.token_index import ANCESTOR_CREDIT, TokenIndex
from connections.adapters.classifier.vocabulary import B2B_PATTERNS
from connections.domain.classification import CLASSIFIED_TEXT_BUDGET, ClassifiableItem


@pytest.fixture(scope="module")
def classifier() -> RuleBasedClassifier:
    built = RuleBasedClassifier()
    built.warm_up()
    return built


def _texts(count: int, seed: int, pieces: tuple[str, ...]) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))


WORD_PIECES = (
    "seniors ", "senior citizens ", "golf ", "new movers ", "new ", "movers ", "likely movers ", "the ", "in market ",
    "fans ", "a ", "1 ", "25 ", "executives ", "b2b ", "c suite ", "employees ", "smb ", "gen z ", "generation x ",
    "baby boomers ", "expecting parents ", "pregnant ", "households with kids ", "software developers ", "coders ",
    "luxury shoppers ", "middle aged ", "young adults ", "industry ", "business owners ", "x", "s ", "mover",
    "premovers ", "expectant moms ", "cxo ", "genz ", "families with children ", "presence of kids ", "dads to be ",
    "game engineers ", "boomers ", "web programmers ", "newly moved ", "just moved ", "senior management ",
)  # fmt: skip
FOLDED_PIECES = (
    "household income ", "hhi ", "$", "100k", "-", "150k", "25", "34", "ages ", "adults ", "# ", "#", "children ",
    "kids ", "in the home ", "home value ", "net worth ", "lor ", "3", "years at residence ", "number of ", "1,000 ",
    "employees ", "income", "x", " ", "1", ",", "personal income ", "mortgage payment ", "household size ",
)  # fmt: skip


# --- shortcuts give what the long way gave -----------------------------------------------------------


def test_ascii_words_are_split_as_the_pattern_splits_them() -> None:
    rng = random.Random(1)
    for _ in range(5_000):
        text = "".join(chr(rng.randrange(128)) for _ in range(rng.randint(0, 30)))
        expected = normalisation._NON_WORD.sub(" ", text).split()
        assert text.translate(normalisation._NON_WORD_ASCII).split() == expected, repr(text)


def test_the_acronym_test_skips_no_text_the_acronym_pattern_matches() -> None:
    for text in _texts(5_000, seed=14, pieces=("I", "T", ".", "IT", "I.T.", " ", "a", "Intenders", "-", "t", "i")):
        if normalisation._IT_ACRONYM.search(text):
            assert "IT" in text or "I.T" in text, text


def test_word_text_without_rewrites_is_the_words_joined() -> None:
    # The set test that skips the rewrite loop must not skip a text that has a rewrite in it.
    for text in _texts(3_000, seed=2, pieces=(*WORD_PIECES, "hh ", "home owner ", "stay at home mom ", "toyota ")):
        words = normalisation._NON_WORD.sub(" ", text).split()
        assert word_text(text) == normalisation.words_of(text)
        rewritten = normalisation._vehicle_ownership(" ".join(normalisation._rewritten(words)))
        assert normalisation.words_of(text).split() == rewritten.split()


def test_the_gated_passes_find_what_the_plain_patterns_find(classifier: RuleBasedClassifier) -> None:
    rules = classifier._engine.rules
    phrases = re.compile("|".join(f"(?P<rule{n}>{pattern})" for n, (pattern, _) in enumerate(PHRASE_RULES)))
    b2b = re.compile("|".join(B2B_PATTERNS))
    for text in _texts(5_000, seed=3, pieces=WORD_PIECES):
        words = word_text(text)
        gated = [(match.span(), match.lastgroup) for match in rules._phrases.finditer(words)]
        assert gated == [(match.span(), match.lastgroup) for match in phrases.finditer(words)], words
        assert bool(field_evidence.B2B_MARKERS.search(words)) == bool(b2b.search(words)), words
    contexts = [re.compile(pattern) for pattern, _, _ in audience_rules.RANGE_CONTEXTS]
    for text in _texts(5_000, seed=4, pieces=FOLDED_PIECES):
        assert bool(rules._any_context.search(text)) == any(context.search(text) for context in contexts), text
        # The substring test in front of the context pass never skips a text that names a context.
        if rules._any_context.search(text):
            assert audience_rules._RANGE_CONTEXT_MARK.search(text), text


def test_every_business_marker_starts_at_one_of_the_first_words() -> None:
    pieces = (
        *WORD_PIECES, "business to business ", "itdms ", "firmographics ", "company revenue ", "job titles ",
        "enterprises ", "procurement ", "purchasing managers ", "small businesses ", "technographic ", "tdm ",
    )  # fmt: skip
    found: set[str] = set()
    for text in _texts(5_000, seed=15, pieces=pieces):
        for match in field_evidence.B2B_MARKERS.finditer(word_text(text)):
            assert match.group(0).split()[0] in field_evidence.B2B_FIRST_WORDS, match.group(0)
            found.add(match.group(0).split()[0])
    # The texts held every kind of marker.
    assert found >= {"b2b", "executives", "industry", "procurement", "firmographics", "business", "company"}
    assert found >= {"job", "small", "purchasing", "enterprises", "decisionmaker", "technographic", "csuite"}


def test_every_phrase_starts_at_one_of_the_first_words(classifier: RuleBasedClassifier) -> None:
    # The set test in front of the phrase pass: whatever the rest of the text, a phrase match begins with a
    # word of PHRASE_FIRST_WORDS (texts of every piece, so every rule matches somewhere).
    rules = classifier._engine.rules
    found_rules = set()
    for text in _texts(5_000, seed=12, pieces=WORD_PIECES):
        for match in rules._phrases.finditer(word_text(text)):
            found_rules.add(match.lastgroup)
            assert match.group(0).split()[0] in audience_rules.PHRASE_FIRST_WORDS, match.group(0)
    assert found_rules == set(rules._phrase_nodes)


def _phrase_hits_the_long_way(rules: Any, words: str) -> set[tuple[str, float]]:
    """Every phrase match scored on its own, against an analysis of the rest of the text."""
    best: dict[str, float] = {}
    for match in rules._phrases.finditer(words):
        rest = words[: match.start()] + " " + words[match.end() :]
        score = PARTIAL_PHRASE_SCORE if analyse_words(rest).words else PHRASE_SCORE
        node = rules._phrase_nodes[match.lastgroup].unique_id
        best[node] = max(score, best.get(node, 0.0))
    return set(best.items())


def test_phrase_hits_are_the_best_score_of_each_rule(classifier: RuleBasedClassifier) -> None:
    rules = classifier._engine.rules
    for text in _texts(5_000, seed=5, pieces=WORD_PIECES):
        words = word_text(text)
        hits = [hit for hit in rules.hits(fold(text), words) if hit.node in rules._phrase_nodes.values()]
        assert {(hit.node.unique_id, hit.score) for hit in hits} == _phrase_hits_the_long_way(rules, words), words
        assert len({hit.node.unique_id for hit in hits}) == len(hits), words  # one hit per rule


def _match_the_long_way(index: TokenIndex, query: dict[str, float]) -> dict[str, tuple[float, float]]:
    """TokenIndex.match as it was first written: every candidate's name intersected with the query."""
    resolved: dict[str, float] = {}
    for raw_word, weight in query.items():
        word = index.resolve(raw_word)
        if word is not None:
            resolved[word] = max(resolved.get(word, 0.0), weight)
    weighted = {word: weight * index.idf(word) for word, weight in resolved.items()}
    total = sum(weighted.values())
    if total <= 0:
        return {}
    candidates: set[int] = set()
    for word in weighted:
        candidates.update(index._postings.get(word, ()))
    query_words = weighted.keys()
    best: dict[str, tuple[float, float]] = {}
    for position in candidates:
        name = index._names[position]
        own = name.words & query_words
        ancestors = name.ancestor_words & query_words
        precision = sum(index._idf[word] for word in own) / name.weight
        recall_mass = sum(weighted[word] for word in own)
        recall_mass += ANCESTOR_CREDIT * sum(weighted[word] for word in ancestors)
        recall = recall_mass / total
        score = 2 * precision * recall / (precision + recall)
        current = best.get(name.node.unique_id)
        if current is None or score > current[0]:
            best[name.node.unique_id] = (score, max(resolved[word] for word in own | ancestors))
    return best


def test_token_index_scores_are_what_the_intersections_give(classifier: RuleBasedClassifier) -> None:
    # The sums are gathered over the query's postings, so a name's words are added in the query's order
    # rather than a set's: the last bit may differ, never more (the ranking rounds to 6 places).
    index = classifier._engine.index
    vocabulary = sorted(index._postings)
    rng = random.Random(6)
    for _ in range(2_000):
        query = {rng.choice(vocabulary): rng.choice((1.0, 0.7, 0.4, 0.28)) for _ in range(rng.randint(1, 30))}
        got = {match.node.unique_id: (match.score, match.field_weight) for match in index.match(query)}
        expected = _match_the_long_way(index, query)
        assert got.keys() == expected.keys()
        for node_id, (score, field_weight) in got.items():
            assert score == pytest.approx(expected[node_id][0], rel=1e-12, abs=0.0), node_id
            assert field_weight == expected[node_id][1], node_id


# --- work counted ------------------------------------------------------------------------------------


def test_a_repeated_word_is_analysed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    stems: list[str] = []
    real_stem = normalisation.stem

    def counted_stem(word: str) -> str:
        stems.append(word)
        return real_stem(word)

    monkeypatch.setattr(normalisation, "stem", counted_stem)
    normalisation.analyse_word.cache_clear()
    normalisation.canonical.cache_clear()

    analysed = analyse_words("snowboarders " * 1_000)

    assert analysed.words == ("snowboarding",) * 1_000
    assert len(stems) <= 3  # one word: its cue lookup and its canonical form, not a thousand of each


def test_a_repeated_phrase_is_weighed_until_the_answer_is_known(
    classifier: RuleBasedClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside_calls: list[tuple[int, int]] = []
    real_outside = audience_rules._TopicWordCounts.outside

    def counted(self: Any, start: int, end: int) -> int:
        outside_calls.append((start, end))
        return real_outside(self, start, end)

    monkeypatch.setattr(audience_rules._TopicWordCounts, "outside", counted)
    words = word_text("seniors " * 10_000)

    hits = classifier._engine.rules.hits(words, words)

    assert [(hit.node.name, hit.score) for hit in hits] == [("Age Range", PARTIAL_PHRASE_SCORE)]
    assert len(outside_calls) == 1  # the first "seniors" holds a topic word: every later one is partial


class _CountedPattern:
    def __init__(self, pattern: re.Pattern[str], passes: list[str]) -> None:
        self._pattern, self._passes = pattern, passes

    def search(self, text: str) -> re.Match[str] | None:
        self._passes.append(self._pattern.pattern)
        return self._pattern.search(text)


def test_digits_without_a_range_context_make_one_context_pass(
    classifier: RuleBasedClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = classifier._engine.rules
    passes: list[str] = []
    counted = [(_CountedPattern(pattern, passes), parent, money) for pattern, parent, money in rules._contexts]
    monkeypatch.setattr(rules, "_contexts", counted)

    assert rules.hits("1," * 500 + "1 golf", "1 " * 501 + "golf") == []
    assert passes == []  # there were nine passes, one per context, over the whole text

    [hit] = rules.hits("household income $100k-$150k", "household income 100k 150k")
    assert isinstance(hit, RuleHit) and hit.node.name == "$100000 - $149999"
    assert passes  # a text with a context still reads the contexts in order


class _CountedPasses:
    def __init__(self, pattern: re.Pattern[str], passes: list[str]) -> None:
        self._pattern, self._passes = pattern, passes

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        self._passes.append(self._pattern.pattern)
        return self._pattern.finditer(text)

    def findall(self, text: str) -> list[Any]:
        self._passes.append(self._pattern.pattern)
        return self._pattern.findall(text)


def test_text_without_two_digits_in_a_row_is_not_read_for_ages(
    classifier: RuleBasedClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[str] = []
    monkeypatch.setattr(
        audience_rules, "_AGE_PATTERNS", tuple(_CountedPasses(p, passes) for p in audience_rules._AGE_PATTERNS)
    )
    rules = classifier._engine.rules

    assert rules._age("ages 1,1,1,1 " * 200) is None
    assert passes == []  # every age pattern reads two-digit numbers; there were five passes

    found = rules._age("ages 25-34")
    assert found is not None and (found[0].node.name, found[1]) == ("Age Range", "ages 25-34")


def _age_the_long_way(folded: str) -> tuple[int, float, str] | None:
    patterns = list(audience_rules._AGE_PATTERNS)
    if audience_rules._AGE_CONTEXT.search(folded):
        patterns.extend(audience_rules._LOOSE_AGE_PATTERNS)
    for pattern in patterns:
        for match in pattern.finditer(folded):
            low = int(match.group(1))
            high = math.inf if not match.group(2)[0].isdigit() else int(match.group(2))
            if 18 <= low < high and (high == math.inf or high <= 99):
                return low, high, match.group(0)
    return None


def test_each_distinct_age_pair_is_judged_once_and_the_first_accepted_match_wins(
    classifier: RuleBasedClassifier,
) -> None:
    rules = classifier._engine.rules
    pieces = (
        "ages ", "adults ", "a", "m", "11", "18", "25", "34", "99", "-", " to ", "+", " year olds", " ", "x", "demo",
        "#", "1",
    )  # fmt: skip
    for text in _texts(20_000, seed=7, pieces=pieces):
        expected = _age_the_long_way(text)
        found = rules._age(text)
        assert (found and found[1]) == (expected and expected[2]), text


def test_a_refused_age_range_repeated_is_read_once(
    classifier: RuleBasedClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers: list[str] = []

    def counted_int(text: str) -> int:
        numbers.append(text)
        return int(text)

    monkeypatch.setattr(audience_rules, "int", counted_int, raising=False)

    found = classifier._engine.rules._age("ages 11-22 " * 1_000 + "ages 25-34")

    assert found is not None and found[1] == "ages 25-34"
    assert len(numbers) <= 12  # a few distinct pairs over the patterns, not two numbers per match (4,000+)


def test_the_ascii_table_blanks_exactly_the_non_word_characters() -> None:
    blanked = {chr(code) for code, blank in normalisation._NON_WORD_ASCII.items() if blank == " "}
    assert {chr(code) for code in range(128)} - blanked == set(string.ascii_lowercase + string.digits)


def _owners_after_a_vehicle(words: str) -> str:
    """The rule stated plainly: "owner(s)" one or two words after a vehicle word reads "ownership"."""
    split = words.split(" ")
    return " ".join(
        "ownership"
        if word in ("owner", "owners") and any(w in normalisation._VEHICLE_WORDS for w in split[max(0, i - 2) : i])
        else word
        for i, word in enumerate(split)
    )


def test_vehicle_owners_read_ownership_with_a_model_between() -> None:
    assert normalisation.words_of("toyota prius owners") == "auto green auto ownership"
    assert normalisation.words_of("honda odyssey owners") == "auto odyssey ownership"
    assert normalisation.words_of("car wash shop owners") == "car wash shop owners"
    pieces = ("car ", "cars ", "owner ", "owners ", "luxury auto ", "green ", "auto ", "supercar ", "ownerx ", "x ")
    for text in _texts(5_000, seed=8, pieces=pieces):
        words = " ".join(text.split())
        assert normalisation._vehicle_ownership(words) == _owners_after_a_vehicle(words), words


def test_a_field_read_again_is_read_as_the_first_time(classifier: RuleBasedClassifier) -> None:
    reader = classifier._engine.fields
    texts = [*_texts(2_000, seed=9, pieces=WORD_PIECES), *_texts(2_000, seed=10, pieces=FOLDED_PIECES)]
    for name in field_evidence.FIELD_WEIGHTS:
        for text in texts:
            if text.strip():
                assert reader.read(name, text) == reader.read(name, text) == reader._read(name, text), text


def test_fields_that_differ_only_in_numbers_share_their_evidence(classifier: RuleBasedClassifier) -> None:
    reader = classifier._engine.fields
    first, second = reader.read("name", "ACME - Golf Fans #12"), reader.read("name", "acme golf fans #13")
    assert first is second and first.serial > 0
    # Numbers that a rule reads still tell texts apart.
    assert reader.read("name", "HHI $50K-$75K") is not reader.read("name", "HHI $100K-$150K")
    assert reader.read("name", "Adults 25-29").rule_hits != reader.read("name", "Adults 30-34").rule_hits
    # A rewrite with a number in it is applied before the numbers are set aside.
    assert reader.read("name", "Formula 1 Fans").index_words != reader.read("name", "Formula 2 Fans").index_words


def _answer_the_long_way(classifier: RuleBasedClassifier, item: ClassifiableItem) -> Any:
    """The answer as first computed: every field read afresh, every word match scored and ranked."""
    engine = classifier._engine
    fields = [engine.fields._read(name, text) for name, text in rule_based._field_texts(item)]
    exact = next((field.exact_node for field in fields if field.exact_node is not None), None)
    if exact is not None:
        return exact.unique_id, 1.0
    topic_key, title_words, known_title_words, rule_hits = rule_based._merged(fields)
    hint, _ = rule_based._word_leaders(engine, topic_key)
    query, heads, _, _ = topic_key
    explained = known_title_words / title_words if title_words else 1.0
    certainty = 1.0 - rule_based.UNKNOWN_WORD_PENALTY * (1.0 - explained)
    factor = (
        rule_based.UNHINTED_TIER_FACTOR
        if hint is None
        else {tier: 1.0 if tier == hint else rule_based.CONFLICTING_TIER_FACTOR for tier in rule_based.TIER1_PREFERENCE}
    )
    candidates = list(rule_hits)
    for node, tier1, score, weight in engine.index.scores(dict(query), dict.fromkeys(heads, 1.4)):
        capped = min(score, rule_based.TOPIC_SCORE_CAP)
        candidates.append((capped * rule_based._EVIDENCE_BY_WEIGHT[weight] * certainty * factor[tier1], node))
    if not candidates:
        return None
    top = max(score for score, _ in candidates) - 1e-6
    best = min(
        (rule_based._Candidate(node, score) for score, node in candidates if score >= top),
        key=lambda candidate: candidate.rank(hint),
    )
    return (best.node.unique_id, round(min(best.score, 1.0), 3)) if best.score >= rule_based.MIN_CONFIDENCE else None


def test_kept_answers_are_what_the_long_way_gives() -> None:
    # Answers are kept by field evidence and word matches by what the fields add up to; neither may change
    # an answer. Items of labelled names with vendor prefixes, ids and keywords repeat both.
    classifier = RuleBasedClassifier()
    rng = random.Random(13)
    names = [*(piece.strip() for piece in WORD_PIECES), "Golf Enthusiasts", "In-Market > Autos > SUVs", "Pet Lovers"]
    for number in range(3_000):
        name = " ".join(rng.sample(names, k=rng.randint(1, 3)))
        item = ClassifiableItem(
            name=f"{rng.choice(('', 'ACME - ', 'Quanta | '))}{name} #{number}",
            keywords=tuple(rng.sample(name.split(), k=min(2, len(name.split())))),
            description=rng.choice((None, "Modeled audience.", "Adults 25-34 who golf.")),
        )
        answer = classifier.classify(item)
        assert (None if answer is None else (answer.iab_code, answer.confidence)) == _answer_the_long_way(
            classifier, item
        ), item


def test_items_that_read_alike_are_scored_once(monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = RuleBasedClassifier()
    index = classifier._engine.index
    calls: list[int] = []
    real_scores = index.scores

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_scores(*args, **kwargs)

    monkeypatch.setattr(index, "scores", counted)
    answers = {
        classifier.classify(ClassifiableItem(name=f"{prefix}Golf Enthusiasts #{number}", keywords=keywords))
        for number in range(200)
        for prefix, keywords in (("", ()), ("ACME - ", ("golf",)), ("Quanta | ", ("Golf", "golf")))
    }
    # The unknown vendor words lower the confidence, not the node.
    assert len(answers) == 2 and len({answer.iab_code for answer in answers if answer}) == 1
    assert len(calls) == 1  # one word match for 600 items: the same words, cues and head word


def test_kept_fields_and_words_stay_bounded(classifier: RuleBasedClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = field_evidence.FieldReader(classifier._engine.index, classifier._engine.rules, classifier._engine.paths)
    monkeypatch.setattr(field_evidence, "_KEPT_TEXTS", 50)
    monkeypatch.setattr(field_evidence, "_KEPT_WORDS", 80)
    for number in range(1_000):
        reader.read("name", f"vendor{number} golf fans")
    reader.read("name", "golf " * 100)  # longer than the classifier is ever given: read, not kept
    assert all(len(texts) <= 50 for texts in reader._texts.values()) and len(reader._words) <= 80
    assert len(reader._said) <= 50 and len(reader._said_serials) <= 50 and len(reader._distinct) <= 50
    assert all(len(text) <= CLASSIFIED_TEXT_BUDGET for texts in reader._texts.values() for text in texts)


def _rewritten_the_long_way(words: list[str]) -> list[str]:
    """Rewrites as first written: every position tried, longest phrase first."""
    rewritten: list[str] = []
    position = 0
    while position < len(words):
        longest = normalisation._LONGEST_REWRITE_FROM.get(words[position], 0)
        for size in range(min(longest, len(words) - position), 0, -1):
            replacement = normalisation._REWRITES.get(" ".join(words[position : position + size]))
            if replacement is not None:
                rewritten.append(replacement)
                position += size
                break
        else:
            rewritten.append(words[position])
            position += 1
    return rewritten


def test_rewrites_visit_only_the_words_that_start_one() -> None:
    pieces = ("in ", "the ", "market ", "in market for ", "home ", "owner ", "hh ", "stay at home ", "mom ", "x ")
    for text in _texts(5_000, seed=11, pieces=pieces):
        words = text.split()
        assert normalisation._rewritten(words) == _rewritten_the_long_way(words), text
