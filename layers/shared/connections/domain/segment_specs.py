"""The segment a topic is sent to a platform as, by a push run or an activation refresh: its name (the
output template), its description, price and taxonomy placement."""

from __future__ import annotations

from connections.domain.connection import Connection
from connections.domain.segment_naming import segment_description, segment_name
from connections.domain.topic import Topic
from connections.ports.platforms import SegmentSpec


def segment_spec(
    topic: Topic,
    connection: Connection,
    template_key: str | None,
    cpm: float | None = None,
    currency: str | None = None,
) -> SegmentSpec:
    """``topic`` as a segment of ``connection``'s platform. The price and currency fall back to the
    connection's ``default_cpm`` and ``currency`` (then USD); the template key is the caller's to pick."""
    platform = connection.platform
    return SegmentSpec(
        external_id=topic.id,
        name=segment_name(topic, platform, template_key),
        description=segment_description(topic, platform),
        cpm=cpm if cpm is not None else connection.config.get("default_cpm"),
        currency=currency or connection.config.get("currency") or "USD",
        taxonomy_path=topic.classification.tier_path if topic.classification else (),
        data_source_location=connection.config.get("data_source_location"),
        # LiveRamp sells a segment on the first-party segment the topic was synced in from.
        extra={"activation_segment_id": topic.external_id} if topic.external_id else {},
    )
