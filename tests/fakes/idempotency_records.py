"""Idempotency-Keys as the DynamoDB adapters record them: one record per organisation, operation and
key, written in the same step as what the first request created (``run_locks.idempotency_put``)."""

from __future__ import annotations

from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay, ensure_same_request


class IdempotencyRecords:
    """Each used key's first result id and the fingerprint of the request that used it."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str, str], tuple[str, str]] = {}

    def replay_of_same_request(self, org_id: str, claim: IdempotencyClaim) -> str | None:
        """The first result's id, as the run stores' ``replay_of`` answers: a Conflict when the key's
        first request was a different one."""
        record = self._records.get((org_id, claim.operation, claim.key))
        return ensure_same_request(claim, IdempotentReplay(*record)) if record else None

    def ensure_unused(self, org_id: str, claim: IdempotencyClaim | None) -> None:
        """IdempotentReplay, carrying the first request's fingerprint, when the key was used."""
        record = self._records.get((org_id, claim.operation, claim.key)) if claim else None
        if record is not None:
            raise IdempotentReplay(*record)

    def record(self, org_id: str, claim: IdempotencyClaim | None, result_id: str) -> None:
        if claim is not None:
            self._records[(org_id, claim.operation, claim.key)] = (result_id, claim.fingerprint)
