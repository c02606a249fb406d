"""Turning segment text and taxonomy names into the same canonical words.

Three forms of a text are used:
- ``fold``: lowercase ASCII with symbols kept, for the numeric rules ("$100k-$150k", "a25-34", "65+");
- ``word_text``: words only, with seller phrases and brands rewritten, for phrase rules and B2B markers;
- ``analyse``: the canonical topic words (stemmed, synonyms applied, stopwords dropped) plus the
  tier-1 cue words that were found, for the token index.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from connections.adapters.classifier.vocabulary import (
    BRANDS,
    FOREIGN_WORDS,
    IRREGULAR_STEMS,
    PHRASE_REWRITES,
    SELLER_CODES,
    STOPWORDS,
    TIER1_CUES,
    TOKEN_SYNONYMS,
)

# "IT" is only the acronym when written in capitals, so it is resolved before lowercasing.
_IT_ACRONYM = re.compile(r"\bI\.?T\.?(?=\W|$)")
# A capital after two lowercase letters starts a word; "iPhone", "eSports" and "McDonald" stay whole.
_CAMEL_CASE = re.compile(r"(?<=[a-z]{2})(?=[A-Z])")
_APOSTROPHE_S = re.compile(r"['\u2019]s\b")
_APOSTROPHE = re.compile(r"['\u2019]")
# French and Italian elision: "d'affaires", "l'aventure" are the word after the apostrophe.
_ELISION = re.compile(r"\b[dlj]['\u2019](?=[a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# The same for ASCII text, one character at a time in C: a blank for every character that is not a
# lowercase letter or digit, so splitting on blanks gives the same words as _NON_WORD (and a run of
# "1,1,1,..." is not a regex replacement per comma).
_NON_WORD_ASCII = str.maketrans(
    {chr(code): " " for code in range(128) if chr(code) not in string.ascii_lowercase + string.digits}
)
# "Car Owners" is auto ownership, not an audience of owners: "owner(s)" after a vehicle word reads
# "ownership", also with one word between, a model the tables do not know ("Honda Odyssey Owners").
# ("luxury auto" and "green auto", brand rewrites, end in a vehicle word too.)
_VEHICLE_WORDS = frozenset(
    """auto autos car cars vehicle vehicles suv suvs truck trucks motorcycle motorcycles van vans minivan
    minivans sedan sedans coupe coupes convertible convertibles crossover crossovers pickup pickups""".split()
)


_REWRITES = {**PHRASE_REWRITES, **SELLER_CODES, **BRANDS}
_SYNONYMS = {**FOREIGN_WORDS, **TOKEN_SYNONYMS}
# The most words of any rewrite by its first word: a position whose word starts no rewrite (most words,
# and every digit or junk word of a long text) is passed over without joining and looking up phrases.
_LONGEST_REWRITE_FROM: dict[str, int] = {}
for _words in (phrase.split() for phrase in _REWRITES):
    if _words:
        _LONGEST_REWRITE_FROM[_words[0]] = max(_LONGEST_REWRITE_FROM.get(_words[0], 0), len(_words))


@dataclass(frozen=True, slots=True)
class AnalysedText:
    """Canonical topic words in order of appearance, and the tier-1 cue words seen."""

    words: tuple[str, ...]
    cues: tuple[str, ...]


def fold(text: str) -> str:
    """Lowercase ASCII, accents removed, "&" spelled out, possessives dropped; symbols are kept."""
    if " " not in text and not text.islower() and not text.isupper():
        # A slug without blanks ("HomeImprovement_DIY") has its words only in its capitals.
        text = _CAMEL_CASE.sub(" ", text)
    if ("IT" in text or "I.T" in text) and not text.isupper():
        # Substring tests in C first: the acronym is an "I" then a "T", with at most a dot between.
        text = _IT_ACRONYM.sub(" itech ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ").replace("_", " ").replace("\u2013", "-").replace("\u2014", "-")
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHE.sub("", _APOSTROPHE_S.sub("", _ELISION.sub("", text)))
    return text


def words_of(folded: str) -> str:
    """``word_text`` of text that has already been through ``fold``."""
    words = (folded.translate(_NON_WORD_ASCII) if folded.isascii() else _NON_WORD.sub(" ", folded)).split()
    # Most texts (and every run of digits or junk) hold no word that starts a rewrite: one set operation
    # in C tells, instead of a lookup per word.
    text = " ".join(words if _LONGEST_REWRITE_FROM.keys().isdisjoint(words) else _rewritten(words))
    return _vehicle_ownership(text) if "owner" in text else text


def _vehicle_ownership(text: str) -> str:
    words = text.split(" ")
    for position in range(1, len(words)):
        if words[position] in ("owner", "owners") and (
            words[position - 1] in _VEHICLE_WORDS or (position > 1 and words[position - 2] in _VEHICLE_WORDS)
        ):
            words[position] = "ownership"
    return " ".join(words)


def _rewritten(words: list[str]) -> list[str]:
    rewritten: list[str] = []
    position = 0
    # Longest phrase first at each position, like a dictionary tokenizer; only the positions whose word
    # starts a rewrite are looked at ("in", "home", "hh" start some, most words none).
    for start in [index for index, word in enumerate(words) if word in _LONGEST_REWRITE_FROM]:
        if start < position:
            continue  # inside a phrase already rewritten
        for size in range(min(_LONGEST_REWRITE_FROM[words[start]], len(words) - start), 0, -1):
            replacement = _REWRITES.get(" ".join(words[start : start + size]))
            if replacement is not None:
                rewritten.extend(words[position:start])
                rewritten.append(replacement)
                position = start + size
                break
    rewritten.extend(words[position:])
    return rewritten


def word_text(text: str) -> str:
    """Words separated by single spaces, seller phrases and brand names rewritten."""
    return words_of(fold(text))


def stem(word: str) -> str:
    """Plural and possessive endings removed; enough to make "SUVs" meet "SUV"."""
    irregular = IRREGULAR_STEMS.get(word)
    if irregular is not None:
        return irregular
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=8192)
def canonical(word: str) -> tuple[str, ...]:
    """The canonical topic words for one raw word (none for stopwords and bare numbers)."""
    stemmed = stem(word)
    replacement = _SYNONYMS.get(stemmed) or _SYNONYMS.get(word)
    parts = [stem(part) for part in replacement.split()] if replacement else [stemmed]
    return tuple(part for part in parts if part not in STOPWORDS and len(part) > 1 and not part.isdigit())


@lru_cache(maxsize=8192)
def analyse_word(word: str) -> tuple[str | None, tuple[str, ...]]:
    """The tier-1 cue one raw word is (else None), and its canonical topic words (none for a cue)."""
    cue = TIER1_CUES.get(word) or TIER1_CUES.get(stem(word))
    return (cue, ()) if cue is not None else (None, canonical(word))


def analyse_words(words: str) -> AnalysedText:
    """Topic words and cue words of an already rewritten ``word_text``."""
    topic: list[str] = []
    cues: list[str] = []
    # Each distinct word is analysed once (a text that repeats one word a thousand times costs one
    # analysis and a thousand cache hits); a process's cache stays bounded whatever words it meets.
    for word in words.split():
        cue, canonical_words = analyse_word(word)
        if cue is not None:
            cues.append(cue)
        elif canonical_words:
            topic.extend(canonical_words)
    return AnalysedText(tuple(topic), tuple(cues))


def analyse(text: str) -> AnalysedText:
    """Topic words and cue words of raw text."""
    return analyse_words(word_text(text))
