"""What a new Lambda container forgets: cached settings, clients and services of the layer's wiring.
Tests and benchmarks call it between scenarios that must not share a container's state."""

from __future__ import annotations


def reset_container_state() -> None:
    """Forget cached settings, clients, services and data keys, as a new Lambda container would."""
    from connections import settings, wiring
    from connections.adapters import aws_clients
    from connections.adapters.dynamodb import table_client

    settings.settings.cache_clear()
    table_client.dynamodb_client.cache_clear()
    aws_clients.botocore_session.cache_clear()
    for name in dir(wiring):
        cached = getattr(wiring, name)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
