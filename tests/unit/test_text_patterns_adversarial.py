"""Naming templates, topic name normalisation and config paths on adversarial text: linear time and the
answer a short equivalent gets. Sizes make the former exponential/quadratic patterns take minutes or more;
``finishes`` fails any call that passes its generous limit."""

from __future__ import annotations

import random
import re

import pytest

from connections.domain import segment_naming
from connections.domain.classification import Classification
from connections.domain.connection_config import validate_config
from connections.domain.platforms import Direction, Platform
from connections.domain.topic import Topic, TopicSource, normalise_name
from connections.profiles.registry import profile_of
from tests.support.watchdog import finishes

N = 100_000
OLD_EMPTY_SEPARATORS = re.compile(r"^(\s*>\s*)+|(\s*>\s*)+$|\(\s*(IAB\s*)?\)")


def test_empty_separators_are_removed_as_before_on_short_text() -> None:
    rng = random.Random(21)
    pieces = (" ", "  ", ">", " > ", "\n", "\t", "(", ")", "IAB", "(IAB)", "( IAB )", "a", "x", "I")
    for _ in range(50_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert segment_naming._EMPTY_SEPARATORS.sub("", text) == OLD_EMPTY_SEPARATORS.sub("", text), text


@pytest.mark.parametrize(
    ("template", "name", "expected"),
    [
        # Separators inside the name that do not reach its end: the old trailing pattern backtracked
        # through every way of sharing the blanks between ">"s (2^40 here).
        ("{{name}}", "a" + " >" * 40 + " x", "a" + " >" * 40 + " x"),
        ("{{tier_path}} > {{name}}", "a" + " >" * 40 + " x", "a" + " >" * 40 + " x"),
        ("{{name}}", "x" + " >" * 40, "x"),
        ("{{name}}", " >" * 40 + " x", "x"),
        ("{{name}}", "a" + " " * N + "b", "a b"),
        ("{{name}}", "a" + " " * N + ">" + " " * N + "b", "a > b"),
        ("{{name}} (IAB {{iab_code}})", "Golf(" + " " * N + "x", "Golf( x"),
        ("{{name}} (IAB {{iab_code}})", "Golf( IAB" + " " * N + "x", "Golf( IAB x"),
        ("{{name}} (IAB {{iab_code}})", "Golf", "Golf"),
    ],
    ids=["inner-seps", "inner-seps-path", "trailing-seps", "leading-seps", "blanks", "blanks-sep", "paren",
         "paren-iab", "empty-code"],
)  # fmt: skip
def test_render_on_long_separator_and_blank_runs(template: str, name: str, expected: str) -> None:
    assert finishes(lambda: segment_naming.render(template, {"name": name})) == expected


def _topic(name: str, description: str | None = None) -> Topic:
    classification = Classification(
        iab_code="644",
        tier1="Interest",
        tier_path=("Interest", "Sports", "Golf"),
        segment_type="B2C",
        confidence=0.95,
        engine_version="rules-1.0.0",
    )
    stamp = "2026-01-01T00:00:00Z"
    return Topic("top_1", "org_a", name, TopicSource.SYNC, stamp, stamp, stamp, description=description,
                 classification=classification)  # fmt: skip


@pytest.mark.parametrize("platform", list(Platform))
def test_segment_names_of_adversarial_topics(platform: Platform) -> None:
    topic = _topic("Golf" + " >" * 40 + " Fans" + " " * N, description="Golf " + "> " * (N // 2) + "fans")

    name = finishes(lambda: segment_naming.segment_name(topic, platform, None))
    description = finishes(lambda: segment_naming.segment_description(topic, platform))

    short = _topic("Golf" + " >" * 40 + " Fans", description="Golf > fans")
    assert name == segment_naming.segment_name(short, platform, None)
    assert len(name) <= profile_of(platform).name_rules.max_name
    assert description == "Golf…"  # cut at the limit, dangling separators dropped
    assert len(description) <= profile_of(platform).name_rules.max_description


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Auto" + " " * N + "Intenders!", "auto intenders"),
        ("Auto" + "\t\n" * N + "Intenders", "auto intenders"),
        ("-" * N, ""),
        ("!" * N + "Golf", "golf"),
        ("a" + "\u0301" * N, "a"),
        ("Golf " + "- " * N + "Fans", "golf fans"),
        ("1," * N, "1 " * (N - 1) + "1"),
    ],
    ids=["blanks", "tabs-newlines", "dashes", "punctuation", "combining", "dash-runs", "digit-commas"],
)
def test_normalise_name_on_long_runs(name: str, expected: str) -> None:
    assert finishes(lambda: normalise_name(name)) == expected


INBOUND = {"base_url": "https://api.example.com/segments"}


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("data[\u0663]", False),  # Arabic-Indic three: the path reader refuses it later
        ("data[\uff13]", False),
        ("data[3]", True),
        ("data" + "[1]" * 20 + ".items", True),
    ],
)
def test_dotted_path_indexes_are_ascii(path: str, valid: bool) -> None:
    problems = validate_config(INBOUND | {"items_path": path}, Platform.CUSTOM_API, Direction.INBOUND)
    assert [problem.field for problem in problems] == ([] if valid else ["config.items_path"])


@pytest.mark.parametrize(
    "path",
    ["a" * N + "!", "a" + ".a[1]" * (N // 5) + "!", "a" + "[1" * (N // 2), "a" + "-" * N + "[1]x"],
    ids=["long-name", "long-chain", "open-brackets", "dashes"],
)
def test_dotted_path_validation_is_linear(path: str) -> None:
    problems = finishes(lambda: validate_config(INBOUND | {"items_path": path}, Platform.CUSTOM_API, Direction.INBOUND))
    assert [problem.field for problem in problems] == ["config.items_path"]
