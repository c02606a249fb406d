"""What the classifier is given of a topic: at most CLASSIFIED_TEXT_BUDGET characters, the fields in order
of trust, while the stored topic keeps its fields as the caps left them (sync pages and POST /api/topics)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.classification import CLASSIFIED_TEXT_BUDGET, ClassifiableItem
from connections.domain.deadline import Deadline
from connections.domain.field_mapping import (
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    map_item,
)
from connections.domain.sync_service import SyncService
from connections.domain.topic_library import TopicLibrary
from connections.domain.topic_requests import CreateTopicRequest
from tests.fakes.classifiers import FixedClassifier
from tests.fakes.in_memory_platforms import ScriptedSource
from tests.fakes.in_memory_stores import ORG, InMemoryStores

LABELLED_SET = Path(__file__).parent / "data" / "labelled_segments.csv"
CALLER = Caller(ORG, "user_1", AuthType.SESSION)


def characters(item: ClassifiableItem) -> int:
    texts = (item.name, item.taxonomy_path, item.category, item.description, *item.keywords)
    return sum(len(text or "") for text in texts)


def at_the_caps() -> dict[str, Any]:
    """A platform item whose every field is as long as map_item lets it be."""
    return {
        "id": "ext-1",
        "name": "Golf Enthusiasts " * 20,
        "taxonomy_path": "Interest > Sports > Golf " * 60,
        "category": "Sports " * 200,
        "keywords": ["golf clubs and balls " * 6] * 80,
        "description": "Players who golf every weekend. " * 50,
    }


def test_every_labelled_segment_is_classified_as_given() -> None:
    with LABELLED_SET.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            fields = {
                "topic_name": row["segment"],
                "description": row["description"] or None,
                "keywords": row["segment"].split(),
                "category": row["category"] or None,
                "taxonomy_path": row["taxonomy_path"] or None,
            }
            item = ClassifiableItem.from_fields(fields)
            assert item == ClassifiableItem(
                row["segment"],
                row["description"] or None,
                tuple(row["segment"].split()),
                row["category"] or None,
                row["taxonomy_path"] or None,
            )
            assert item.within_budget() is item


def test_fields_are_given_in_order_of_trust_until_the_budget_is_spent() -> None:
    item = ClassifiableItem(
        name="N" * 60,
        taxonomy_path="P" * 60,
        category="C" * 60,
        keywords=("k" * 80, "k" * 80, "k" * 80),
        description="words of a description " * 20,
    )

    budgeted = item.within_budget()

    assert (budgeted.name, budgeted.taxonomy_path, budgeted.category) == (item.name, item.taxonomy_path, item.category)
    # 300 - 180 leaves 120: one keyword of 80 (keywords are never cut: the second is left out), then the
    # 40 characters left for the description, cut at a blank.
    assert CLASSIFIED_TEXT_BUDGET == 300
    assert budgeted.keywords == item.keywords[:1]
    assert budgeted.description == "words of a description words of a"
    assert characters(budgeted) <= CLASSIFIED_TEXT_BUDGET


def test_a_field_that_does_not_fit_is_cut_at_a_blank_or_at_the_budget() -> None:
    at_a_blank = ClassifiableItem(name="Golf", description="golfers " * 100).within_budget()
    whole_words = (CLASSIFIED_TEXT_BUDGET - len("Golf")) // len("golfers ")
    assert at_a_blank.description == ("golfers " * whole_words).strip()  # no half word
    run_on = ClassifiableItem(name="Golf", description="1," * 1_000).within_budget()
    assert run_on.description == ("1," * 1_000)[: CLASSIFIED_TEXT_BUDGET - 4]


def test_values_that_are_not_text_are_left_out() -> None:
    item = ClassifiableItem.from_fields(
        {"topic_name": 7, "description": 12.5, "keywords": [1, "golf"], "category": ["a"], "taxonomy_path": None}
    )
    assert item == ClassifiableItem(name="7", keywords=("1", "golf"))
    assert ClassifiableItem.from_fields({"topic_name": "Golf", "keywords": "golf"}).keywords == ()


def test_a_platform_item_at_the_caps_is_classified_within_the_budget_and_stored_whole() -> None:
    stores = InMemoryStores()
    connection = stores.add_connection(config={"base_url": "https://feed.example.com/segments", "page_size": 10})
    classifier = FixedClassifier()
    service = SyncService(
        stores.connections,
        stores.sync_runs,
        stores.topics,
        open_source=lambda _: ScriptedSource([at_the_caps()]),
        classifier=lambda: classifier,
        clock=stores.clock,
        sleep=lambda _: None,
    )
    run = service.start_run(CALLER, connection.id, Deadline.after(30), None)

    service.process_page(CALLER, connection.id, run.id, 1, Deadline.after(30))

    [asked] = classifier.asked
    assert characters(asked) <= CLASSIFIED_TEXT_BUDGET  # was 200 + 3 x 1,000 + 50 x 100 characters
    assert asked.name == map_item(at_the_caps(), None).fields["topic_name"]
    [topic] = stores.topics.list_for_org(ORG)
    mapped = map_item(at_the_caps(), None).fields
    assert (topic.description, topic.category, topic.taxonomy_path, list(topic.keywords)) == (
        mapped["description"],
        mapped["category"],
        mapped["taxonomy_path"],
        mapped["keywords"],
    )
    assert len(mapped["description"]) > MAX_TEXT_LENGTH - 10 and len(mapped["keywords"]) == MAX_KEYWORDS


def test_a_manual_topic_is_classified_within_the_same_budget() -> None:
    stores = InMemoryStores()
    classifier = FixedClassifier()
    library = TopicLibrary(stores.topics, lambda: classifier, clock=stores.clock.timestamp)
    fields = at_the_caps()
    request = CreateTopicRequest.model_validate(
        {
            "topic_name": fields["name"][:MAX_NAME_LENGTH],
            "description": fields["description"][:MAX_TEXT_LENGTH],
            "keywords": [keyword[:MAX_KEYWORD_LENGTH] for keyword in fields["keywords"][:MAX_KEYWORDS]],
            "category": fields["category"][:MAX_TEXT_LENGTH],
        }
    )

    topic = library.create(CALLER, request)

    [asked] = classifier.asked
    assert characters(asked) <= CLASSIFIED_TEXT_BUDGET
    assert topic.description == request.description  # stored whole


@pytest.mark.parametrize("budget", [0, 3, 250])
def test_no_budget_is_overspent(budget: int) -> None:
    item = ClassifiableItem(name="a b " * 80, description="c d " * 300, keywords=("e",) * 50)
    assert characters(item.within_budget(budget)) <= budget
