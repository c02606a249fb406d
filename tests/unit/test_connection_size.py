"""A connection's item is measured in DynamoDB's bytes before it is written."""

from __future__ import annotations

from connections.domain.connection import Connection
from connections.domain.connection_size import MAX_RECORD_BYTES, record_bytes, record_size_problems
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from connections.domain.storage_limits import MAX_ITEM_BYTES


def connection(config: dict) -> Connection:
    return Connection(
        id="conn_01KJA3VF80DCCVQYCP1GDKMM00",
        org_id="org_a",
        name="Caf\u00e9",
        platform=Platform.CUSTOM_API,
        direction=Direction.INBOUND,
        config=config,
        status=ConnectionStatus.ACTIVE,
        created_at="2026-02-25T10:00:00.000Z",
        updated_at="2026-02-25T10:00:00.000Z",
    )


def test_the_record_is_measured_in_utf8_bytes() -> None:
    ascii_record = record_bytes(connection({"items_path": "a" * 1000}))

    assert record_bytes(connection({"items_path": "\u00e9" * 1000})) == ascii_record + 1000


def test_a_record_within_the_budget_has_no_problem() -> None:
    assert record_size_problems(connection({"base_url": "https://api.example.com"})) == []


def test_a_record_that_leaves_no_room_for_the_ciphertext_names_config() -> None:
    # Below 400 KB on its own, but not with the ciphertext and the repository's attributes beside it.
    config = {"field_mappings": {f"f{index}": "\u00e9" * 1000 for index in range(170)}}
    assert MAX_RECORD_BYTES < record_bytes(connection(config)) < MAX_ITEM_BYTES

    [problem] = record_size_problems(connection(config))

    assert problem.field == "config"
    assert "too large" in problem.message
