"""Seller conventions that words alone do not resolve: numeric ranges and fixed phrases.

- Ranges ("HHI $100K-$150K", "A25-34", "Home Value $500K+", "LOR 1-3 years") are read as numbers and
  matched against the ranges parsed from the taxonomy's own bucket names, so the buckets are never
  copied into code. A range that fits one bucket gives that bucket; one that spans several gives the
  bucket's parent ("Adults 25-34" -> Age Range).
- Phrase rules pin wording that has one meaning for data sellers ("New Movers", "Expectant Parents").
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import dataclass
from typing import Final

from connections.adapters.classifier.normalisation import analyse_word
from connections.adapters.classifier.taxonomy import Taxonomy, TaxonomyNode
from connections.domain.classification import DEMOGRAPHIC, INTEREST, PURCHASE_INTENT

BUCKET_SCORE: Final = 0.97
AGE_SPAN_SCORE: Final = 0.8
RANGE_SPAN_SCORE: Final = 0.85
# A gender letter on a wide age band ("M18-34") names the gender exactly and the age only loosely.
GENDER_LETTER_SCORE: Final = 0.85
# A phrase rule that accounts for every topic word of the text beats any word match; one that leaves
# other topic words behind ("Seniors" in "Senior Health Enthusiasts") gives way to a good word match.
PHRASE_SCORE: Final = 0.96
PARTIAL_PHRASE_SCORE: Final = 0.85

HOUSEHOLD_DATA = (DEMOGRAPHIC, "Household Data")
PERSONAL_FINANCE = (DEMOGRAPHIC, "Personal Finance")
AGE_RANGE = (DEMOGRAPHIC, "Age Range")
BUSINESS = (INTEREST, "Business and Finance", "Business")

# Which bucketed branch a number belongs to, by the words around it; the first context that matches wins.
# Money branches only take amounts written as money ("$", "k", "m"), so a year is never an income.
RANGE_CONTEXTS: Final[tuple[tuple[str, tuple[str, ...], bool], ...]] = (
    (r"\b(?:personal|individual) income\b", (*PERSONAL_FINANCE, "Income (USD)"), True),
    (
        r"\b(?:net worth|nw|wealth|investable assets|assets)\b",
        (*PERSONAL_FINANCE, "Personal Level Affluence (USD)"),
        True,
    ),
    (
        r"\b(?:home|house|property) (?:values?|vals?)\b|\bhome worth\b|\bhv\b",
        (*HOUSEHOLD_DATA, "Median Home Value (USD)"),
        True,
    ),
    (r"\b(?:mortgage|rent|housing) payments?\b", (*HOUSEHOLD_DATA, "Monthly Housing Payment (USD)"), True),
    (
        r"\blength of residence\b|\blor\b|\byears? (?:at|in) (?:the )?(?:residence|home|current home)\b",
        (*HOUSEHOLD_DATA, "Length of Residence"),
        False,
    ),
    (
        r"\b(?:number of|presence of|#) ?(?:children|kids)\b|\b(?:children|kids) in (?:the )?(?:household|home)\b",
        (*HOUSEHOLD_DATA, "Number of Children"),
        False,
    ),
    (
        r"\b(?:number of|#) ?adults\b|\badults in (?:the )?(?:household|home)\b",
        (*HOUSEHOLD_DATA, "Number of Adults"),
        False,
    ),
    (
        r"\b(?:household|hh) size\b|\b(?:people|persons|individuals) in (?:the )?(?:household|home)\b",
        (*HOUSEHOLD_DATA, "Number of Individuals"),
        False,
    ),
    (
        r"\b(?:hhi|household income|hh income|income|inc|earners?|earning|salary|salaries)\b",
        (*HOUSEHOLD_DATA, "Household Income (USD)"),
        True,
    ),
)

# Phrase rules: pattern over the rewritten word text -> tier path (and score when not PHRASE_SCORE).
PHRASE_RULES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        r"\b(?:new|recent|newly moved|just moved) movers?\b|\bnewly moved\b|\bjust moved\b",
        (*HOUSEHOLD_DATA, "Length of Residence", "Less Than 1 Year"),
    ),
    (
        r"\b(?:likely|pre|pre move|future) movers?\b|\bpremovers?\b",
        (PURCHASE_INTENT, "Real Estate", "Residential Real Estate"),
    ),
    (
        r"\bhouseholds? with (?:kids|children|child)\b|\bpresence of (?:kids|children)\b"
        r"|\bfamil(?:y|ies) with (?:kids|children|child)\b",
        (*HOUSEHOLD_DATA, "Life Stage", "Multi Generation Household", "Parents with Children"),
    ),
    (
        r"\bexpect(?:ant|ing) (?:parents?|moms?|mothers?|dads?|fathers?|families)\b"
        r"|\b(?:parents?|moms?|mothers?|dads?) to be\b|\bpregnan(?:t|cy)\b",
        (PURCHASE_INTENT, "Life Events", "Births"),
    ),
    (
        r"\b(?:new|young) (?:parents?|moms?|mothers?|dads?|fathers?)\b",
        (INTEREST, "Family and Relationships", "Parenting", "Parenting Babies and Toddlers"),
    ),
    (r"\bluxury (?:shoppers?|buyers?|goods|brands?|purchasers?)\b", (PURCHASE_INTENT, "Clothing and Accessories")),
    (
        r"\b(?:software|web|app|mobile|game) (?:developers?|engineers?|programmers?)\b|\bprogrammers?\b|\bcoders?\b",
        (INTEREST, "Technology & Computing", "Computing", "Programming Languages"),
    ),
    (
        r"\bcsuite\b|\bcxos?\b|\bexecutives?\b|\bsenior management\b",
        (DEMOGRAPHIC, "Education & Occupation", "Employment Role", "Director/Managerial"),
    ),
    (
        r"\bmillennials?\b|\bgen(?:eration)? ?(?:x|y|z|alpha)\b|\bzoomers?\b|\b(?:baby )?boomers?\b"
        r"|\bseniors?\b|\bsenior citizens?\b|\byoung adults?\b|\bmiddle aged\b",
        AGE_RANGE,
    ),
)

# The first word of every alternative of every phrase rule: a text holding none of them (most texts) has
# no phrase match, which a set test in C tells without the pattern pass (tests check the two agree).
PHRASE_FIRST_WORDS: Final = frozenset(
    """new recent newly just likely pre future premover premovers household households presence family families
    expectant expecting parent parents mom moms mother mothers dad dads pregnant pregnancy young luxury
    software web app mobile game programmer programmers coder coders csuite cxo cxos executive executives
    senior seniors millennial millennials gen generation genx geny genz genalpha generationx generationy
    generationz generationalpha zoomer zoomers baby boomer boomers middle""".split()
)
# The words of the range contexts, as substrings: a text holding none of them names no range (a vendor's
# "#1042", "Q3", "2026"), which substring tests in C tell faster than the context pattern's pass.
_RANGE_CONTEXT_MARKS: Final = (
    "inc", "worth", "nw", "wealth", "assets", "val", "hv", "payment", "residence", "lor", "year",
    "children", "kids", "adults", "size", "people", "persons", "individuals", "hhi", "earn", "salar",
)  # fmt: skip
# The same as one pass in C (literal alternatives: linear).
_RANGE_CONTEXT_MARK = re.compile("|".join(_RANGE_CONTEXT_MARKS))

# Every phrase rule's every alternative starts at a word that starts with a letter ("\\b" then a letter).
# Said once in front of them all, this lets the phrase pass skip every other position of the word text
# (digits, blanks, the inside of words) with one cheap test instead of trying each rule's alternatives
# there: a run of "1 1 1 ..." is a word boundary at every character.
_PHRASE_START = r"\b(?=[a-z])"

# Every pattern below sees caller and platform text of any length, so each is written to match in time
# linear in it (the comment on each says why); tests/unit/test_classifier_adversarial.py holds them to it.
#
# _AMOUNT: a match only starts at the "below" word, a "$" or the first digit of a digit run, never on
# whitespace ("\s*\$?\s*" in front let every blank of a long run rescan the rest of the run) nor inside a
# digit run ("(?<!\d)": from inside a run the match would have begun at the run's first digit anyway).
# The digits are possessive ("\d++"): giving one back only leaves another digit next, which
# "(?![a-z\d])" refuses, so backtracking into a run was wasted work. (That lookahead said "[a-z0-9]",
# which let a number stop inside a run of ASCII and other scripts' digits; the only answers that
# changed are on such mixed runs, now read whole.) Blanks after the number are scanned from it alone.
_AMOUNT = re.compile(
    r"(?:(?P<below><|\bunder\b|\bless than\b|\bbelow\b|\bup to\b)\s*+)?(?:\$\s*+)?"
    r"(?<!\d)(?P<number>\d{1,3}(?:,\d{3})+|\d++(?:\.\d++)?)\s*(?P<unit>k|mm|m|thousand|million)?(?![a-z\d])"
    r"\s*(?P<above>\+|plus|and (?:over|above|up|older)|or (?:more|older))?"
)
_DIGIT = re.compile(r"\d")
# What the first number of every age match looks like: two digits that no digit follows, nor precedes
# (a digit may precede them only after "demo", whose "\w*" may end in digits: "demo1845-54").
_AGE_NUMBER = re.compile(r"(?<!\d)\d\d(?!\d)|demo")
_MONEY_MARK = re.compile(r"\$|\d\s*(?:k|mm|m|thousand|million)(?![a-z0-9])")
_UNITS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mm": 1_000_000, "million": 1_000_000}

# "\s*:?\s*" and "\s*(?:-|to|\s)\s*" could split one run of blanks between two quantifiers in every
# possible way (quadratic in the run); each run is now taken whole and possessively ("\s*+", "\s++"),
# which loses nothing because what must follow (a digit, ":", "-" or "to") is never a blank.
# The other age patterns start at a word boundary and scan the blanks after it once.
_AGE_PREFIX = r"(?:adults?|ages?|aged|men|women|males?|females?|persons?|people|hoh|demo\w*)\s*+(?::\s*+)?"
_AGE_PATTERNS = (
    re.compile(r"\b[amfwp](\d{2})\s*(?:-|to)\s*(\d{2})\b"),
    re.compile(r"\b[amfwp](\d{2})\s*(\+)"),
    re.compile(r"\b" + _AGE_PREFIX + r"(\d{2})(?:\s*+(?:-|to)\s*+|\s++)(\d{2})\b"),
    re.compile(r"\b" + _AGE_PREFIX + r"(\d{2})\s*(\+|plus|and (?:over|older|up)|or older)"),
    re.compile(r"\b(\d{2})\s*(?:-|to)\s*(\d{2})\s*(?:year olds?|yr olds?|yrs?|years? old)\b"),
)
_AGE_CONTEXT = re.compile(r"\b(?:age|ages|aged|adults?|hoh|year olds?|years? old|demographics?|demo)\b")
_GENDER_PREFIX = re.compile(r"(?P<male>m(?=\d)|men\b|males?\b)|(?P<female>[fw](?=\d)|women\b|females?\b)")
_LOOSE_AGE_PATTERNS = (
    re.compile(r"\b(\d{2})\s*(?:-|to)\s*(\d{2})\b"),
    re.compile(r"\b(\d{2})\s*(\+|plus|and (?:over|older|up))"),
)
# Whether any age pattern matches anywhere, in one pass each: most texts with two digits in a row (a
# vendor's "#1042", "last 30 days") hold none, and reading each pattern's matches costs a pass apiece.
# Each alternative is one of the linear patterns above, so the union is linear too.
_ANY_AGE = re.compile("|".join(pattern.pattern for pattern in _AGE_PATTERNS))
_ANY_LOOSE_AGE = re.compile("|".join(pattern.pattern for pattern in _LOOSE_AGE_PATTERNS))
# "(\d[\d,]*)" tried from every digit of a long "1,1,1,..." run scanned the rest of the run each time
# (quadratic). A match now starts only where a run of digits and commas begins ("(?<![\d,])"), so each
# run is scanned once; its first digit onwards is the number, exactly what the leftmost match took before
# (the number always ran to the end of its run, as what follows is a blank, "+" or a letter). Blanks and
# "+" are taken possessively as "\s*+(?:\+\s*+)?", the same strings as "\s*\+?\s*" without trying
# every split of a blank run.
_COMPANY_SIZE = re.compile(r"(?<![\d,]),*+(\d[\d,]*+)\s*+(?:\+\s*+)?(?:employees|staff|headcount)\b")
_SIZE_WORDS = ("employees", "staff", "headcount")
# More digits than this is a large company without reading the number (int() refuses 4,300+ digits).
_EMPLOYEE_DIGITS = 6
LARGE_COMPANY_EMPLOYEES: Final = 250


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A node a rule chose and the rule's score for it."""

    node: TaxonomyNode
    score: float


@dataclass(frozen=True, slots=True)
class NumberRange:
    """Inclusive bounds; ``high`` is infinite for open ranges such as "$250K+"."""

    low: float
    high: float

    def within(self, other: NumberRange) -> bool:
        return other.low <= self.low and self.high <= other.high


class AudienceRules:
    """Range and phrase rules resolved against one taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._taxonomy = taxonomy
        self._contexts = [
            (re.compile(pattern), taxonomy.by_path(*path), money) for pattern, path, money in RANGE_CONTEXTS
        ]
        # Whether any context is in the text at all, in one pass: most texts with a digit name none, and
        # each context's own pass costs about as much as this one. Every alternative of every context
        # starts at a word boundary before a letter or "#", which the front says once.
        self._any_context = re.compile(r"\b(?=[a-z#])(?:" + "|".join(pattern for pattern, _, _ in RANGE_CONTEXTS) + ")")
        # One pass over the text for all phrase rules; the named group says which rule matched.
        self._phrases = re.compile(
            _PHRASE_START
            + "(?:"
            + "|".join(f"(?P<rule{n}>{pattern})" for n, (pattern, _) in enumerate(PHRASE_RULES))
            + ")"
        )
        self._phrase_nodes = {f"rule{n}": taxonomy.by_path(*path) for n, (_, path) in enumerate(PHRASE_RULES)}
        self._age_range = taxonomy.by_path(*AGE_RANGE)
        self._gender = {
            "male": taxonomy.by_path(DEMOGRAPHIC, "Gender", "Male"),
            "female": taxonomy.by_path(DEMOGRAPHIC, "Gender", "Female"),
        }
        self._large_business = taxonomy.by_path(*BUSINESS, "Large Business")
        self._small_business = taxonomy.by_path(*BUSINESS, "Small and Medium-sized Business")
        self._buckets: dict[str, list[tuple[TaxonomyNode, NumberRange]]] = {}

    def hits(self, folded: str, words: str) -> list[RuleHit]:
        """Every rule that fires on the text, given as ``fold`` output and as ``word_text`` output."""
        return [*self.numeric_hits(folded), *self.phrase_hits(words)]

    def numeric_hits(self, folded: str) -> list[RuleHit]:
        """The range, age and company-size rules, which read the ``fold`` output (symbols and numbers)."""
        return self._numeric_hits(folded) if _DIGIT.search(folded) else []

    def phrase_hits(self, words: str) -> list[RuleHit]:
        """The phrase rules, which read the ``word_text`` output and no digit (so a text reads the same
        with its numbers written as any other numbers)."""
        found: list[RuleHit] = []
        if PHRASE_FIRST_WORDS.isdisjoint(words.split()):
            return found
        topic_words: _TopicWordCounts | None = None
        # The best score of each rule that matched, in the order rules first matched: a rule matching again
        # adds nothing but its score, and once it has PHRASE_SCORE nothing at all.
        best: dict[str, float] = {}
        # Once a phrase holds a topic word, every later phrase (matches do not overlap) leaves that word
        # outside itself, so it can only be partial: no more counting for a text of a phrase repeated.
        settled = False
        for match in self._phrases.finditer(words):
            rule = match.lastgroup or ""
            if settled:
                best.setdefault(rule, PARTIAL_PHRASE_SCORE)
                continue
            if best.get(rule) == PHRASE_SCORE:
                continue
            # Analysing the rest of the text again for every phrase found was quadratic in a long text of
            # repeated phrases; the topic words outside the match are counted from one pass instead.
            if topic_words is None:
                topic_words = _TopicWordCounts(words)
            start, end = match.span()
            score = PARTIAL_PHRASE_SCORE if topic_words.outside(start, end) else PHRASE_SCORE
            best[rule] = max(score, best.get(rule, score))
            settled = topic_words.within(start, end) > 0
        found.extend(RuleHit(self._phrase_nodes[rule], score) for rule, score in best.items())
        return found

    def _numeric_hits(self, folded: str) -> list[RuleHit]:
        found: list[RuleHit] = []
        remainder = folded
        age = self._age(folded)
        if age is not None:
            hit, span = age
            found.append(hit)
            remainder = folded.replace(span, " ")
            gender = _GENDER_PREFIX.match(span)
            if gender is not None and hit.node is self._age_range:
                found.append(RuleHit(self._gender[gender.lastgroup or ""], GENDER_LETTER_SCORE))
        found.extend(self._ranges(remainder))
        # Substring tests in C first: the size pattern starts at every digit run, and most texts name no staff.
        size = _COMPANY_SIZE.search(folded) if any(word in folded for word in _SIZE_WORDS) else None
        if size is not None:
            digits = size.group(1).replace(",", "").lstrip("0")
            large = len(digits) > _EMPLOYEE_DIGITS or int(digits or "0") >= LARGE_COMPANY_EMPLOYEES
            chosen = self._large_business if large else self._small_business
            found.append(RuleHit(chosen, PHRASE_SCORE))
        return found

    def _age(self, folded: str) -> tuple[RuleHit, str] | None:
        if not _AGE_NUMBER.search(folded):
            return None  # every age pattern reads a two-digit number (a vendor's "#1042" is none)
        loose = _AGE_CONTEXT.search(folded) is not None
        if not _ANY_AGE.search(folded) and not (loose and _ANY_LOOSE_AGE.search(folded)):
            return None
        patterns = list(_AGE_PATTERNS)
        if loose:
            patterns.extend(_LOOSE_AGE_PATTERNS)
        for pattern in patterns:
            # The numbers of every match are read in one pass in C, each distinct pair judged once (a text of
            # one refused range repeated is one judgement); only the first accepted match is found again,
            # for its text.
            judged: set[tuple[str, str]] = set()
            for position, pair in enumerate(pattern.findall(folded)):
                if pair in judged:
                    continue
                judged.add(pair)
                low = int(pair[0])
                high = math.inf if not pair[1][0].isdigit() else int(pair[1])
                if 18 <= low < high and (high == math.inf or high <= 99):
                    match = next(itertools.islice(pattern.finditer(folded), position, None))
                    return self._place(self._age_range, NumberRange(low, high), AGE_SPAN_SCORE), match.group(0)
        return None

    def _ranges(self, folded: str) -> list[RuleHit]:
        if not _RANGE_CONTEXT_MARK.search(folded) or not self._any_context.search(folded):
            return []
        for pattern, parent, money in self._contexts:
            if pattern.search(folded):
                if money and not _MONEY_MARK.search(folded):
                    return []
                wanted = parse_range(folded)
                if wanted is None:
                    return []
                return [self._place(parent, wanted, RANGE_SPAN_SCORE)]
        return []

    def _place(self, parent: TaxonomyNode, wanted: NumberRange, span_score: float) -> RuleHit:
        """The deepest bucket under ``parent`` that holds the whole range, else the parent itself."""
        chosen, score = parent, span_score
        for bucket, bounds in self._bucket_ranges(parent):
            if wanted.within(bounds) and bucket.depth > chosen.depth:
                chosen, score = bucket, BUCKET_SCORE
        return RuleHit(chosen, score)

    def _bucket_ranges(self, parent: TaxonomyNode) -> list[tuple[TaxonomyNode, NumberRange]]:
        cached = self._buckets.get(parent.unique_id)
        if cached is None:
            cached = []
            pending = list(self._taxonomy.children(parent.unique_id))
            while pending:
                node = pending.pop()
                bounds = parse_range(node.name.lower())
                if bounds is not None:
                    cached.append((node, bounds))
                    pending.extend(self._taxonomy.children(node.unique_id))
            self._buckets[parent.unique_id] = cached
        return cached


class _TopicWordCounts:
    """How many words of a ``word_text`` carry topic words, before and after any character offset."""

    def __init__(self, words: str) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = [0]
        offset = 0
        for word in words.split(" "):
            if word:
                self._starts.append(offset)
                self._ends.append(offset + len(word))
                self._before.append(self._before[-1] + bool(analyse_word(word)[1]))
            offset += len(word) + 1

    def outside(self, start: int, end: int) -> int:
        """Topic-bearing words that lie wholly before ``start`` or wholly after ``end``."""
        before = self._before[bisect.bisect_right(self._ends, start)]
        after = self._before[-1] - self._before[bisect.bisect_left(self._starts, end)]
        return before + after

    def within(self, start: int, end: int) -> int:
        """Topic-bearing words that lie wholly from ``start`` to ``end``."""
        first, last = bisect.bisect_left(self._starts, start), bisect.bisect_right(self._ends, end)
        return self._before[last] - self._before[first] if last > first else 0


def parse_range(text: str) -> NumberRange | None:
    """The numeric range written in the text: "$100k-$150k", "< $20k", "$250,000+", "3+", "25 to 34"."""
    amounts = []
    for match in _AMOUNT.finditer(text):
        value = float(match.group("number").replace(",", ""))
        unit = _UNITS.get(match.group("unit") or "")
        amounts.append((value, unit, match))
        if len(amounts) == 2:
            break
    if not amounts:
        return None
    if len(amounts) == 2 and amounts[1][2].group("below") is None:
        (low, low_unit, _), (high, high_unit, second) = amounts
        if low_unit is None and high_unit is not None and low * high_unit <= high * high_unit:
            low_unit = high_unit
        low *= low_unit or 1
        high *= high_unit or 1
        if second.group("above"):
            return NumberRange(low, math.inf)
        if high >= 1_000 and high % 1_000 == 0:
            # "$100K-$150K" means up to $149,999, the way the taxonomy's buckets are cut.
            high -= 1
        return NumberRange(low, high) if low <= high else None
    value, unit, match = amounts[0]
    value *= unit or 1
    if match.group("below"):
        return NumberRange(0, value - 1)
    if match.group("above"):
        return NumberRange(value, math.inf)
    return NumberRange(value, value)
