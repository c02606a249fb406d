"""Many activations written fast (the items ``put_activations`` writes, through batch_write_item), for
listing tests and the scale bench. Their topics need not exist: an activation of a missing topic
reads as stale when it was pushed, which is what a listing has to compute either way."""

from __future__ import annotations

from typing import Any

from connections.adapters.dynamodb.push_repository import DynamoPushRepository
from connections.domain.activation import Activation, ActivationStatus
from connections.domain.identifiers import ACTIVATION_PREFIX, RUN_PREFIX, TOPIC_PREFIX, new_id

NOW = "2026-03-01T10:00:00.000Z"


def seeded_activation(org_id: str, connection_id: str, number: int, run_id: str) -> Activation:
    """Every tenth activation pending in ``run_id``, every tenth (from the fifth) in error, the rest
    active with a pushed name."""
    status = (
        ActivationStatus.PENDING
        if number % 10 == 0
        else ActivationStatus.ERROR
        if number % 10 == 5
        else ActivationStatus.ACTIVE
    )
    pushed = status is ActivationStatus.ACTIVE
    return Activation(
        id=new_id(ACTIVATION_PREFIX),
        org_id=org_id,
        topic_id=new_id(TOPIC_PREFIX),
        connection_id=connection_id,
        platform="liveramp" if connection_id.endswith("a") else "tradedesk",
        topic_name=f"Seeded audience {number}",
        status=status,
        created_at=NOW,
        updated_at=NOW,
        run_id=run_id,
        platform_segment_id=f"seg-{number}" if pushed else None,
        pushed_name=f"Seeded audience {number}" if pushed else None,
    )


def seed_activations(
    client: Any, table: str, org_id: str, count: int, connections: tuple[str, ...] = ("conn_a", "conn_b")
) -> list[Activation]:
    """``count`` activations spread over ``connections`` (one push run each), oldest first."""
    runs = {connection: new_id(RUN_PREFIX) for connection in connections}
    activations = []
    for number in range(count):
        connection = connections[number % len(connections)]
        activations.append(seeded_activation(org_id, connection, number, runs[connection]))
    DynamoPushRepository(table, client).put_activations(activations)
    return activations
