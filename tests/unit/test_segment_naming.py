"""Segment names and descriptions: templates chosen per platform or by key, empty fields and their
separators dropped, refused characters removed and long names cut to each platform's limit."""

from __future__ import annotations

import pytest

from connections.domain.classification import Classification
from connections.domain.errors import InvalidInput
from connections.domain.platforms import Platform
from connections.domain.segment_naming import (
    TEMPLATES,
    render,
    segment_description,
    segment_name,
    template_for,
    topic_fields,
)
from connections.domain.topic import Topic, TopicSource
from connections.profiles.registry import profile_of

GOLF = Classification("644", "Interest", ("Interest", "Sports", "Golf"), "B2C", 0.95, "rules-1.0.0")
STAMP = "2026-01-01T00:00:00.000Z"


def topic(name: str = "Golf Fans", classification: Classification | None = GOLF, **fields: object) -> Topic:
    return Topic("ot_1", "org_a", name, TopicSource.SYNC, STAMP, STAMP, STAMP, classification=classification,
                 **fields)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        (Platform.LIVERAMP, "Interest > Sports > Golf > Golf Fans"),
        (Platform.TRADEDESK, "Interest > Sports > Golf > Golf Fans"),
        (Platform.INDEXEXCHANGE, "Golf Fans (IAB 644)"),
        (Platform.CUSTOM_API, "Golf Fans"),
    ],
)
def test_each_platform_has_its_default_template(platform: Platform, expected: str) -> None:
    assert segment_name(topic(), platform, None) == expected


@pytest.mark.parametrize(("key", "expected"), [("name", "Golf Fans"), ("provider", "Interest > Golf Fans")])
def test_a_template_key_overrides_the_default(key: str, expected: str) -> None:
    assert segment_name(topic(), Platform.LIVERAMP, key) == expected


@pytest.mark.parametrize("key", ["", "IAB_PATH", "custom"])
def test_an_unknown_template_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidInput, match="Unknown template") as refused:
        template_for(Platform.LIVERAMP, key)

    assert ", ".join(sorted(TEMPLATES)) in refused.value.message


def test_an_unclassified_topic_loses_the_separators_of_its_empty_fields() -> None:
    unclassified = topic(classification=None)

    assert segment_name(unclassified, Platform.LIVERAMP, None) == "Golf Fans"
    assert segment_name(unclassified, Platform.INDEXEXCHANGE, None) == "Golf Fans"
    assert segment_name(unclassified, Platform.LIVERAMP, "provider") == "Golf Fans"


def test_placeholders_render_numbers_lists_and_unknown_fields() -> None:
    fields = topic_fields(topic(keywords=("golf", "tee times"), cpm=2.0), currency="EUR")

    assert render("{{ cpm }} {{currency}}", fields) == "2 EUR"
    assert render("{{keywords}}", fields) == "golf, tee times"
    assert render("{{name}} {{no_such_field}}!", fields) == "Golf Fans !"
    assert render("{{tier1}} > {{name}}", topic_fields(topic(classification=None))) == "Golf Fans"


@pytest.mark.parametrize("platform", [Platform.LIVERAMP, Platform.TRADEDESK, Platform.INDEXEXCHANGE])
def test_named_platforms_refuse_markup_and_quotes(platform: Platform) -> None:
    name = segment_name(topic('Golf <b>"Fans"</b> {x}|y^z`\\'), platform, "name")

    assert name == "Golf b> Fans /b> x y z"  # ">" stays: it is the path separator


def test_a_custom_api_keeps_markup_but_not_control_characters() -> None:
    assert segment_name(topic("Golf\t<Fans>\x00!"), Platform.CUSTOM_API, None) == "Golf <Fans> !"


@pytest.mark.parametrize("platform", list(Platform))
def test_long_names_are_cut_on_a_word_boundary_within_the_limit(platform: Platform) -> None:
    limit = profile_of(platform).name_rules.max_name
    name = segment_name(topic(" ".join(["golfers"] * 100)), platform, "name")

    assert len(name) <= limit
    assert name.endswith("golfers…")  # whole words, then the ellipsis
    assert len(name) > limit * 0.6


def test_an_unbroken_long_name_is_cut_at_the_limit() -> None:
    name = segment_name(topic("g" * 500), Platform.INDEXEXCHANGE, "name")

    assert name == "g" * 254 + "…"  # externalSegmentName: at most 255 characters


def test_the_description_is_the_topics_own_else_its_placement() -> None:
    assert segment_description(topic(description="People who play golf"), Platform.LIVERAMP) == "People who play golf"
    assert segment_description(topic(), Platform.LIVERAMP) == "IAB Audience Taxonomy 1.1 644: Interest > Sports > Golf"


@pytest.mark.parametrize("platform", list(Platform))
def test_an_unclassified_topic_without_a_description_is_described_by_its_name(platform: Platform) -> None:
    assert segment_description(topic("Golf Fans", classification=None), platform) == "Golf Fans"
