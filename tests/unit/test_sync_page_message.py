"""Page messages of scheduled syncs: what the queue carries, and bodies that are not page messages."""

from __future__ import annotations

import json

import pytest

from connections.domain.scheduled_sync import scheduled_claim, scheduler_caller
from connections.domain.sync_page_message import InvalidPageMessage, SyncPageMessage

CONNECTION = "conn_01KJA3VF80DCCVQYCP1GDKMM20"
RUN = "run_01KJA3VF80DCCVQYCP1GDKMM21"


def test_a_message_round_trips_and_names_the_next_page() -> None:
    message = SyncPageMessage("org_a", CONNECTION, RUN, 3)

    body = message.to_body()

    assert json.loads(body) == {"orgId": "org_a", "connectionId": CONNECTION, "runId": RUN, "page": 3}
    assert SyncPageMessage.from_body(body) == message
    assert message.next_page() == SyncPageMessage("org_a", CONNECTION, RUN, 4)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"connectionId": CONNECTION, "runId": RUN, "page": 1}), "orgId"),
        (json.dumps({"orgId": "org_a", "connectionId": "conn_x", "runId": RUN, "page": 1}), "connectionId"),
        (json.dumps({"orgId": "org_a", "connectionId": CONNECTION, "runId": CONNECTION, "page": 1}), "runId"),
        (json.dumps({"orgId": "org_a", "connectionId": CONNECTION, "runId": RUN, "page": 0}), "page"),
        (json.dumps({"orgId": "org_a", "connectionId": CONNECTION, "runId": RUN, "page": True}), "page"),
        (json.dumps({"orgId": "org_a", "connectionId": CONNECTION, "runId": RUN, "page": "2"}), "page"),
    ],
)
def test_bodies_that_are_not_page_messages(body: str, problem: str) -> None:
    with pytest.raises(InvalidPageMessage, match=problem):
        SyncPageMessage.from_body(body)


def test_the_scheduler_principal_has_only_the_sync_scope_and_is_no_session() -> None:
    caller = scheduler_caller("org_a")

    assert caller.org_id == "org_a"
    assert caller.scopes == frozenset({"sync"})
    assert not caller.is_session


def test_a_scheduled_occurrence_is_its_idempotency_key() -> None:
    first = scheduled_claim(CONNECTION, "2026-02-25T02:00:00Z")
    again = scheduled_claim(CONNECTION, "2026-02-25T02:00:00Z")
    next_day = scheduled_claim(CONNECTION, "2026-02-26T02:00:00Z")

    assert first is not None and first == again
    assert next_day is not None and next_day.key != first.key
    assert scheduled_claim(CONNECTION, None) is None
    assert scheduled_claim(CONNECTION, "<aws.scheduler.scheduled-time>") is None
