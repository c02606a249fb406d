"""A CredentialCipher without KMS, for unit tests that must not touch AWS. Like the KMS cipher, a
ciphertext decrypts only for the organisation and connection it was made for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from connections.domain.errors import CredentialsUnreadable

if TYPE_CHECKING:
    from connections.ports.credential_cipher import CredentialCipher


class ContextBoundCipher:
    """Reversible, never plaintext on the wire: the JSON is reversed and bound to its context."""

    def __init__(self) -> None:
        self.contexts: list[tuple[str, str]] = []  # the (org, connection) of each encrypt, in order

    def encrypt(self, credentials: Mapping[str, str], *, org_id: str, connection_id: str) -> bytes:
        self.contexts.append((org_id, connection_id))
        sealed = json.dumps({"context": [org_id, connection_id], "credentials": dict(credentials)})
        return sealed.encode()[::-1]

    def decrypt(self, ciphertext: bytes, *, org_id: str, connection_id: str) -> dict[str, str]:
        try:
            sealed = json.loads(ciphertext[::-1])
        except ValueError:
            raise CredentialsUnreadable() from None
        if sealed.get("context") != [org_id, connection_id]:
            raise CredentialsUnreadable()
        return dict(sealed["credentials"])


if TYPE_CHECKING:
    _: CredentialCipher = ContextBoundCipher()
