"""TopicLibrary on the in-memory topic store: manual topics are classified and unique by normalised
name, and the list filters, searches and pages newest first (no AWS, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.errors import Conflict
from connections.domain.list_filters import TopicFilters
from connections.domain.topic import TopicDraft, TopicSource
from connections.domain.topic_library import TopicLibrary
from connections.domain.topic_requests import CreateTopicRequest
from tests.fakes.classifiers import FixedClassifier, interest
from tests.fakes.clocks import ManualClock
from tests.fakes.topic_store import InMemoryTopics

CALLER = Caller("org_a", "user_1", AuthType.SESSION)
AUTOMOTIVE = interest("483", "Automotive")


def library() -> tuple[TopicLibrary, InMemoryTopics, ManualClock]:
    topics, clock = InMemoryTopics(), ManualClock()
    classifier = FixedClassifier({"Auto Intenders": AUTOMOTIVE})
    return TopicLibrary(topics, lambda: classifier, clock=clock.timestamp), topics, clock


def create(service: TopicLibrary, name: str, **fields: object):
    return service.create(CALLER, CreateTopicRequest.model_validate({"topic_name": name, **fields}))


def test_a_manual_topic_is_classified_and_stored() -> None:
    service, topics, _ = library()

    topic = create(service, "Auto Intenders", description="In-market for a car", keywords=["suv"])

    assert (topic.source, topic.classification, topic.keywords) == (TopicSource.MANUAL, AUTOMOTIVE, ("suv",))
    assert topics.get_many("org_a", [topic.id]) == {topic.id: topic}


def test_a_name_the_library_has_is_a_conflict_and_changes_nothing() -> None:
    service, topics, _ = library()
    first = create(service, "Auto Intenders")

    with pytest.raises(Conflict, match=first.id):
        create(service, "  auto   INTENDERS! ", description="would enrich a synced duplicate")

    assert topics.list_for_org("org_a") == [first]  # not enriched: a manual duplicate is refused whole


def test_a_synced_topic_blocks_a_manual_one_of_the_same_name() -> None:
    service, topics, clock = library()
    topics.ingest("org_a", TopicSource.SYNC, "conn_1", [TopicDraft("Golf Fans", "ext-1")], "run#1", clock.timestamp())

    with pytest.raises(Conflict):
        create(service, "golf fans")


def test_the_list_is_newest_first_filtered_and_paged() -> None:
    service, topics, clock = library()
    made = []
    for name in ["Auto Intenders", "Golf Fans", "Golf Travellers", "Tennis Fans"]:
        made.append(create(service, name))
        clock.advance(1)
    topics.ingest("org_a", TopicSource.SYNC, "conn_1", [TopicDraft("Synced Golf")], "run#1", clock.timestamp())

    def names(**filters: Any) -> list[str]:
        page = service.list(CALLER, TopicFilters(**filters))
        return [topic.name for topic in page.topics]

    assert names() == ["Synced Golf", "Tennis Fans", "Golf Travellers", "Golf Fans", "Auto Intenders"]
    assert names(search="GOLF") == ["Synced Golf", "Golf Travellers", "Golf Fans"]
    assert names(source=TopicSource.MANUAL, search="golf") == ["Golf Travellers", "Golf Fans"]
    assert names(connectionId="conn_1") == ["Synced Golf"]
    assert names(iabCode="483") == ["Auto Intenders"]
    assert names(page=2, pageSize=2) == ["Golf Travellers", "Golf Fans"]
    assert service.list(CALLER, TopicFilters(page=3, pageSize=2)).to_response()["total"] == 5
    other = Caller("org_b", "user_2", AuthType.SESSION)
    assert service.list(other, TopicFilters()).topics == []
