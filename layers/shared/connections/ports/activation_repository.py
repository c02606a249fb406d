"""Storage of activations for the changes made to one at a time: deactivate and refresh."""

from __future__ import annotations

from typing import Protocol

from connections.domain.activation import Activation


class ActivationRepository(Protocol):
    def find(self, org_id: str, activation_id: str) -> Activation | None:
        """The organisation's activation with this id, as stored now (None when there is none)."""
        ...

    def claim_change(self, activation: Activation, token: str, lease_seconds: float) -> Activation | None:
        """Take the activation for one change if it is still in its status and no push or other change
        holds it; the activation as stored, claimed (None when it moved on or someone else has it)."""
        ...

    def record_outcome(self, activation: Activation, token: str) -> bool:
        """Write the changed activation if the claim still holds (False otherwise)."""
        ...

    def release(self, activation: Activation, token: str) -> None:
        """Give back a claim, the activation left as it was."""
        ...
