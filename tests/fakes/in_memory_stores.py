"""Every in-memory store on one clock, as the DynamoDB adapters share one table: what a unit test of a
service needs to stand one up without AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connections.domain.classification import Classification
from connections.domain.connection import Connection
from connections.domain.connection_service import MAX_CONNECTIONS_PER_ORG
from connections.domain.identifiers import CONNECTION_PREFIX, new_id
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from connections.domain.topic import Topic, TopicDraft, TopicSource
from tests.fakes.clocks import ManualClock
from tests.fakes.connection_store import InMemoryConnections
from tests.fakes.run_stores import InMemoryPushRuns, InMemorySyncRuns
from tests.fakes.topic_store import InMemoryTopics

ORG = "org_a"


@dataclass
class InMemoryStores:
    clock: ManualClock = field(default_factory=ManualClock)
    connections: InMemoryConnections = field(default_factory=InMemoryConnections)
    topics: InMemoryTopics = field(default_factory=InMemoryTopics)

    def __post_init__(self) -> None:
        self.sync_runs = InMemorySyncRuns(self.connections, now=self.clock.epoch)
        self.push_runs = InMemoryPushRuns(self.connections, now=self.clock.epoch)

    def add_connection(
        self,
        platform: Platform = Platform.CUSTOM_API,
        direction: Direction = Direction.INBOUND,
        config: dict[str, Any] | None = None,
        org_id: str = ORG,
    ) -> Connection:
        """A stored connection (not validated: the service under test is another one)."""
        now = self.clock.timestamp()
        connection = Connection(
            id=new_id(CONNECTION_PREFIX),
            org_id=org_id,
            name=f"{platform.value} {direction.value}",
            platform=platform,
            direction=direction,
            config=config if config is not None else {"base_url": "https://feed.example.com/segments"},
            status=ConnectionStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        self.connections.create(connection, None, MAX_CONNECTIONS_PER_ORG)
        return connection

    def add_topics(
        self, names: list[str], classification: Classification | None = None, org_id: str = ORG
    ) -> list[Topic]:
        """Manual topics with these names, oldest first."""
        drafts = [TopicDraft(name=name, classification=classification) for name in names]
        outcomes = self.topics.ingest(org_id, TopicSource.MANUAL, None, drafts, "setup", self.clock.timestamp())
        found = self.topics.get_many(org_id, [outcome.topic_id for outcome in outcomes])
        return [found[outcome.topic_id] for outcome in outcomes]
