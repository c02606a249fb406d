"""Encryption of connection credentials, bound to the record they belong to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class CredentialCipher(Protocol):
    def encrypt(self, credentials: Mapping[str, str], *, org_id: str, connection_id: str) -> bytes:
        """Ciphertext that only decrypts for this organisation and connection."""
        ...

    def decrypt(self, ciphertext: bytes, *, org_id: str, connection_id: str) -> dict[str, str]:
        """The credentials; raises CredentialsUnreadable if the ciphertext belongs elsewhere."""
        ...
