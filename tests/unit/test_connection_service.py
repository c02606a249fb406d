"""ConnectionService on the in-memory connection store: the 20-connection limit, Idempotency-Keys,
conditional version checks, credentials bound to their record, and sync schedules kept in step with
config.schedule (no AWS, no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connections.domain.access import AuthType, Caller
from connections.domain.connection import Connection
from connections.domain.connection_requests import CreateConnectionRequest, UpdateConnectionRequest
from connections.domain.connection_service import MAX_CONNECTIONS_PER_ORG, ConnectionService
from connections.domain.errors import ConcurrentModification, Conflict, ConnectionLimitReached, CredentialsUnreadable
from connections.domain.idempotency import claim_from_header
from tests.fakes.connection_store import InMemoryConnections
from tests.fakes.credential_ciphers import ContextBoundCipher
from tests.fakes.scheduling import InMemorySchedules

CALLER = Caller("org_a", "user_1", AuthType.SESSION)
FEED = {"base_url": "https://feed.example.com/segments", "auth_type": "bearer"}


def request(name: str = "Feed", **config: Any) -> CreateConnectionRequest:
    return CreateConnectionRequest.model_validate_json(
        json.dumps(
            {
                "name": name,
                "platform": "custom_api",
                "direction": "inbound",
                "config": FEED | config,
                "credentials": {"token": "t-secret-value"},
            }
        )
    )


def service(
    repository: InMemoryConnections | None = None,
) -> tuple[ConnectionService, InMemoryConnections, InMemorySchedules]:
    repository, schedules = repository or InMemoryConnections(), InMemorySchedules()
    return ConnectionService(repository, ContextBoundCipher(), schedules=schedules), repository, schedules


def test_the_21st_connection_is_refused_and_a_delete_frees_a_slot() -> None:
    connections, repository, _ = service()
    created = [connections.create(CALLER, request(f"Feed {number}")) for number in range(MAX_CONNECTIONS_PER_ORG)]

    with pytest.raises(ConnectionLimitReached, match="at most 20"):
        connections.create(CALLER, request("One too many"))
    connections.delete(CALLER, created[0].id)
    connections.create(CALLER, request("Fits again"))

    assert repository.connection_count("org_a") == MAX_CONNECTIONS_PER_ORG
    other_org = Caller("org_b", "user_2", AuthType.SESSION)
    connections.create(other_org, request())  # the limit is per organisation


def test_a_repeated_idempotency_key_returns_the_first_connection() -> None:
    connections, repository, _ = service()
    claim = claim_from_header("create_connection", "key-00000001", {"name": "Feed"})
    other = claim_from_header("create_connection", "key-00000001", {"name": "Other"})
    assert claim is not None and other is not None

    first = connections.create(CALLER, request(), claim)
    again = connections.create(CALLER, request(), claim)

    assert again == first
    assert repository.connection_count("org_a") == 1
    with pytest.raises(Conflict, match="different request"):
        connections.create(CALLER, request(), other)
    connections.delete(CALLER, first.id)
    with pytest.raises(Conflict, match="was deleted"):
        connections.create(CALLER, request(), claim)


def test_a_change_that_lost_a_race_is_refused_and_its_schedule_undone() -> None:
    class ChangedMeanwhile(InMemoryConnections):
        """Another PATCH lands between this one's read and its write."""

        def replace(self, connection: Connection, expected_version: int, encrypted_credentials: bytes | None) -> None:
            stored = self.get(connection.org_id, connection.id)
            assert stored is not None
            super().replace(stored.changed(name="Theirs", version=stored.version + 1), stored.version, None)
            super().replace(connection, expected_version, encrypted_credentials)

    connections, repository, schedules = service(ChangedMeanwhile())
    created = connections.create(CALLER, request())

    change = UpdateConnectionRequest.model_validate({"name": "Mine", "config": {"schedule": "rate(1 hour)"}})
    with pytest.raises(ConcurrentModification):
        connections.update(CALLER, created.id, change)

    stored = repository.get("org_a", created.id)
    assert stored is not None and (stored.name, stored.version) == ("Theirs", 2)
    assert schedules.expressions == {}  # the schedule written for the lost change was removed again


def test_credentials_are_encrypted_for_their_own_record() -> None:
    connections, repository, _ = service()
    first, second = connections.create(CALLER, request("A")), connections.create(CALLER, request("B"))
    cipher = ContextBoundCipher()

    ciphertext = repository.get_encrypted_credentials("org_a", first.id)
    assert ciphertext is not None and b"t-secret-value" not in ciphertext
    assert cipher.decrypt(ciphertext, org_id="org_a", connection_id=first.id) == {"token": "t-secret-value"}
    with pytest.raises(CredentialsUnreadable):  # copied onto another record, it reads as nothing
        cipher.decrypt(ciphertext, org_id="org_a", connection_id=second.id)


def test_the_sync_schedule_follows_config_schedule() -> None:
    connections, _, schedules = service()

    created = connections.create(CALLER, request(schedule="rate(1 hour)"))
    assert schedules.expressions == {("org_a", created.id): "rate(1 hour)"}
    connections.update(CALLER, created.id, UpdateConnectionRequest.model_validate({"config": {"schedule": None}}))
    assert schedules.expressions == {}
    connections.update(
        CALLER, created.id, UpdateConnectionRequest.model_validate({"config": {"schedule": "rate(2 hours)"}})
    )
    connections.delete(CALLER, created.id)

    assert schedules.expressions == {}
    assert schedules.calls[-1] == ("remove", created.id)
