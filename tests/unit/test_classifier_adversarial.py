"""The classifier on adversarial text: every pattern matches in linear time and gives the answer it gives
on a short equivalent.

Inputs are sized so that the former quadratic (or worse) patterns take minutes on them while the linear
ones take milliseconds; ``finishes`` fails a call that passes its generous limit. The old patterns are
kept here as oracles: on short ASCII text the new ones must find exactly what they found.
"""

from __future__ import annotations

import random
import re

import pytest

from connections.adapters.classifier import audience_rules, field_evidence
from connections.adapters.classifier.audience_rules import NumberRange, parse_range
from connections.adapters.classifier.normalisation import analyse_words, word_text
from connections.adapters.classifier.rule_based import RuleBasedClassifier
from connections.domain.classification import B2B, ClassifiableItem, Classification
from tests.support.watchdog import finishes

N = 100_000  # characters in each adversarial field

# The patterns as they were, to check the rewritten ones against on short text.
OLD_AMOUNT = re.compile(
    r"(?P<below><|\bunder\b|\bless than\b|\bbelow\b|\bup to\b)?\s*\$?\s*"
    r"(?P<number>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>k|mm|m|thousand|million)?(?![a-z0-9])"
    r"\s*(?P<above>\+|plus|and (?:over|above|up|older)|or (?:more|older))?"
)
_OLD_AGE_PREFIX = r"(?:adults?|ages?|aged|men|women|males?|females?|persons?|people|demo\w*)\s*:?\s*"
OLD_AGE_RANGE = re.compile(r"\b" + _OLD_AGE_PREFIX + r"(\d{2})\s*(?:-|to|\s)\s*(\d{2})\b")
OLD_AGE_OPEN = re.compile(r"\b" + _OLD_AGE_PREFIX + r"(\d{2})\s*(\+|plus|and (?:over|older|up)|or older)")
OLD_COMPANY_SIZE = re.compile(r"(\d[\d,]*)\s*\+?\s*(?:employees|staff|headcount)\b")
OLD_PATH_SEPARATOR = re.compile(r"\s*[>|]\s*")

# Pieces of seller text around each pattern, near misses included ("1,0000", "under$", "ages:", "+ staff").
PIECES = (
    "1", "2", "5", "0", "12", "25", "34", "250", "1,000", ",", ",000", ",00", ".", ".5", " ", "  ", "\t", "\n",
    "$", "k", "m", "mm", "thousand", "million", "+", "plus", "-", "to", "under ", "less than ", "below", "<",
    "up to", "and over", "or more", "or older", "employees", "staff", "headcount", "x", "a", "ages", "aged:",
    ":", "demo", "demo1", "men", "women", "e", "s", ">", "|", " > ", "year olds", "years old",
)  # fmt: skip


@pytest.fixture(scope="module")
def classifier() -> RuleBasedClassifier:
    built = RuleBasedClassifier()
    built.warm_up()  # before any fork, so each watched child starts with the engine built
    return built


def _answer(result: Classification | None) -> tuple[str, str, float] | None:
    return None if result is None else (result.iab_code, result.segment_type, result.confidence)


def _random_texts(count: int, seed: int, pieces: tuple[str, ...] = PIECES) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(count)]


# --- the rewritten patterns find what the old ones found --------------------------------------------


def _found(pattern: re.Pattern[str], text: str, limit: int | None = None) -> list[dict[str, str | None]]:
    found = []
    for match in pattern.finditer(text):
        found.append(match.groupdict() or {str(index): group for index, group in enumerate(match.groups())})
        if len(found) == limit:
            break
    return found


@pytest.mark.parametrize(
    ("old", "new", "limit"),
    [
        (OLD_AMOUNT, audience_rules._AMOUNT, 2),  # parse_range reads the first two amounts
        (OLD_AGE_RANGE, audience_rules._AGE_PATTERNS[2], None),
        (OLD_AGE_OPEN, audience_rules._AGE_PATTERNS[3], None),
    ],
    ids=["amount", "age-range", "open-age"],
)
def test_rewritten_patterns_match_as_before_on_short_text(old: re.Pattern[str], new: re.Pattern[str], limit) -> None:
    for text in _random_texts(20_000, seed=11):
        assert _found(new, text, limit) == _found(old, text, limit), text


def test_company_size_reads_the_same_number_as_before() -> None:
    for text in _random_texts(20_000, seed=12):
        old, new = OLD_COMPANY_SIZE.search(text), audience_rules._COMPANY_SIZE.search(text)
        assert (new and new.group(1)) == (old and old.group(1)), text


def test_path_parts_read_the_same_as_before() -> None:
    # The parts' readers (words_of, path_key) drop blanks at their edges, so that is all that may differ.
    for text in _random_texts(5_000, seed=13, pieces=("a", "golf", " ", "  ", "\t", ">", "|", " > ", "*")):
        old_parts = [" ".join(part.split()) for part in OLD_PATH_SEPARATOR.split(text)]
        new_parts = [" ".join(part.split()) for part in field_evidence.PATH_SEPARATOR.split(text)]
        assert new_parts == old_parts, text


def test_phrase_scores_count_the_topic_words_outside_the_phrase() -> None:
    # The count of topic words outside a phrase must agree with analysing the rest of the text.
    texts = _random_texts(
        3_000, seed=14, pieces=("seniors ", "golf ", "new movers ", "the ", "in market ", "fans ", "a ", "1 ")
    )
    pattern = re.compile("|".join(f"(?:{rule})" for rule, _ in audience_rules.PHRASE_RULES))
    for text in texts:
        words = word_text(text)
        counts = audience_rules._TopicWordCounts(words)
        for match in pattern.finditer(words):
            rest = words[: match.start()] + " " + words[match.end() :]
            assert bool(counts.outside(match.start(), match.end())) == bool(analyse_words(rest).words), words


# --- long runs: linear, and the same answer as a short equivalent -----------------------------------

PAIRS = {
    "digit-comma run in keywords": (
        ClassifiableItem(name="Golf", keywords=("1," * (N // 2),)),
        ClassifiableItem(name="Golf", keywords=("1,1,",)),
    ),
    "digit run before employees": (
        ClassifiableItem(name="Software Companies", keywords=("1," * (N // 2) + "1 employees",)),
        ClassifiableItem(name="Software Companies", keywords=("1,111,111 employees",)),
    ),
    "blank run before employees": (
        ClassifiableItem(name="5000" + " " * N + "employees"),
        ClassifiableItem(name="5000 employees"),
    ),
    "blank run before + employees": (
        ClassifiableItem(name="50" + " " * N + "+ employees"),
        ClassifiableItem(name="50+ employees"),
    ),
    "digits then a letter": (
        ClassifiableItem(name="Golf demo" + "1" * N + "x"),
        ClassifiableItem(name="Golf demo11x"),
    ),
    "spaced digits": (ClassifiableItem(name="Golf " + "1 " * (N // 2)), ClassifiableItem(name="Golf 1 1")),
    "blank description": (
        ClassifiableItem(name="HHI $100K-$150K", description=" " * N),
        ClassifiableItem(name="HHI $100K-$150K"),
    ),
    "blanks after a dollar": (
        ClassifiableItem(name="Household income $" + " " * N),
        ClassifiableItem(name="Household income $ "),
    ),
    "digits after a dollar": (
        ClassifiableItem(name="Household income $" + "1" * N + "x"),
        ClassifiableItem(name="Household income $11111x"),
    ),
    "blanks after under": (
        ClassifiableItem(name="HHI under" + " " * N + "$20k"),
        ClassifiableItem(name="HHI under $20k"),
    ),
    "blanks inside an age range": (
        ClassifiableItem(name="Adults 25" + " " * N + "34"),
        ClassifiableItem(name="Adults 25 34"),
    ),
    "blanks around an age dash": (
        ClassifiableItem(name="25" + " " * N + "-" + " " * N + "34 year olds"),
        ClassifiableItem(name="25 - 34 year olds"),
    ),
    "blanks after ages": (ClassifiableItem(name="Golf ages" + " " * N + "x"), ClassifiableItem(name="Golf ages x")),
    "blanks after a gender letter": (
        ClassifiableItem(name="M25" + " " * N + "- 34"),
        ClassifiableItem(name="M25 - 34"),
    ),
    "repeated phrase": (
        ClassifiableItem(name="Seniors", keywords=("seniors " * (N // 8),)),
        ClassifiableItem(name="Seniors", keywords=("seniors seniors",)),
    ),
    "repeated phrase name": (
        ClassifiableItem(name="New Movers " * (N // 11)),
        ClassifiableItem(name="New Movers New Movers"),
    ),
    "blank run in a name": (
        ClassifiableItem(name="Golf" + " " * N + "Enthusiasts"),
        ClassifiableItem(name="Golf Enthusiasts"),
    ),
    "blank run in a path": (
        ClassifiableItem(name="Interest >" + " " * N + "Sports > Golf"),
        ClassifiableItem(name="Interest > Sports > Golf"),
    ),
    "blank run in a taxonomy path": (
        ClassifiableItem(name="x", taxonomy_path="Interest > Sports > Golf" + " " * N + "Fans"),
        ClassifiableItem(name="x", taxonomy_path="Interest > Sports > Golf Fans"),
    ),
    "many separators": (
        ClassifiableItem(name="Sports " + "> " * (N // 2) + "Golf"),
        ClassifiableItem(name="Sports > > Golf"),
    ),
    "k and dash runs": (
        ClassifiableItem(name="HHI", keywords=("1k-" * (N // 3),)),
        ClassifiableItem(name="HHI", keywords=("1k-1k-1k-",)),
    ),
    "plus runs": (
        ClassifiableItem(name="HHI", keywords=("1+" * (N // 2),)),
        ClassifiableItem(name="HHI", keywords=("1+1+1+",)),
    ),
    "range runs": (
        ClassifiableItem(name="Golf", keywords=("10-20 " * (N // 6),)),
        ClassifiableItem(name="Golf", keywords=("10-20 10-20",)),
    ),
    "decimal runs": (
        ClassifiableItem(name="Home value", keywords=("1." * (N // 2),)),
        ClassifiableItem(name="Home value", keywords=("1.1.1.",)),
    ),
    "tabs and newlines": (ClassifiableItem(name="Golf\t\n" * (N // 6)), ClassifiableItem(name="Golf\t\nGolf")),
    "100 KB of words": (
        ClassifiableItem(name="Golf", description="golf " * (N // 5)),
        ClassifiableItem(name="Golf", description="golf"),
    ),
}


@pytest.mark.parametrize("case", list(PAIRS))
def test_long_runs_classify_as_their_short_equivalent(classifier: RuleBasedClassifier, case: str) -> None:
    long_item, short_item = PAIRS[case]
    long_answer = finishes(lambda: _answer(classifier.classify(long_item)))
    assert long_answer == _answer(classifier.classify(short_item))


def test_a_company_size_too_long_for_int_is_a_large_business(classifier: RuleBasedClassifier) -> None:
    # int() refuses more than 4,300 digits; the rule must not raise on them.
    result = finishes(lambda: classifier.classify(ClassifiableItem(name="1" * 5_000 + " employees")))
    assert result is not None
    assert result.tier_path[-1] == "Large Business" and result.segment_type == B2B
    small = classifier.classify(ClassifiableItem(name="0" * 5_000 + "40 employees"))
    assert small is not None and small.tier_path[-1] == "Small and Medium-sized Business"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("under" + " " * N + "$20k", NumberRange(0, 19_999)),
        ("<" + " " * N + "5", NumberRange(0, 4)),
        ("$" + " " * N + "x", None),
        (" " * N + "x", None),
        ("1" * N + "x", None),
        ("1." + "1" * N + "x", NumberRange(1, 1)),
        ("1,111" * (N // 5) + "x", NumberRange(1, 1111)),
        ("5" + " " * N + "and over", NumberRange(5, float("inf"))),
        ("$100k" + " " * N + "- $150k", NumberRange(100_000, 149_999)),
    ],
    ids=["under", "less-than", "dollar", "blanks", "digits", "decimal", "groups", "and-over", "range"],
)
def test_parse_range_on_long_runs(text: str, expected: NumberRange | None) -> None:
    assert finishes(lambda: parse_range(text)) == expected
