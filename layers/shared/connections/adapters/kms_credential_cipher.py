"""CredentialCipher with the AWS Encryption SDK and a KMS key.

Envelope encryption: KMS wraps a data key per message; the SDK encrypts with a key-committing suite.
The encryption context binds each ciphertext to its organisation and connection. The SDK does not
check the context on decrypt with master key providers, so ``decrypt`` compares the header's context
itself: a ciphertext copied onto another connection or organisation is refused.

Importing this module loads aws_encryption_sdk and cryptography; only functions that handle
credentials import it (read endpoints stay lean).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aws_encryption_sdk
from aws_encryption_sdk import (
    CachingCryptoMaterialsManager,
    CommitmentPolicy,
    LocalCryptoMaterialsCache,
    StrictAwsKmsMasterKeyProvider,
)
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.identifiers import Algorithm
from cryptography.exceptions import InvalidTag

from connections.adapters.aws_clients import botocore_session as container_session
from connections.domain.errors import CredentialsUnreadable

PURPOSE = "connection-credentials"
# Cached data keys cut KMS calls on repeated decrypts of one connection (test runs, page calls);
# bounded in age and use so a revoked key stops working within minutes.
CACHE_CAPACITY = 200
CACHE_MAX_AGE_SECONDS = 300.0
CACHE_MAX_MESSAGES = 100


def encryption_context(org_id: str, connection_id: str) -> dict[str, str]:
    """The context every credential ciphertext of this connection carries."""
    return {"purpose": PURPOSE, "orgId": org_id, "connectionId": connection_id}


class KmsCredentialCipher:
    """Encrypts credential sets under one KMS key, with a caching materials manager."""

    def __init__(self, key_arn: str, botocore_session: Any | None = None) -> None:
        # The container's session by default: the provider makes its KMS client here (for the key's
        # region), and a session of its own would load the endpoint rules and service list again.
        provider = StrictAwsKmsMasterKeyProvider(
            key_ids=[key_arn], botocore_session=botocore_session or container_session()
        )
        self._materials = CachingCryptoMaterialsManager(
            master_key_provider=provider,
            cache=LocalCryptoMaterialsCache(capacity=CACHE_CAPACITY),
            max_age=CACHE_MAX_AGE_SECONDS,
            max_messages_encrypted=CACHE_MAX_MESSAGES,
        )
        self._client = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
        )

    def encrypt(self, credentials: Mapping[str, str], *, org_id: str, connection_id: str) -> bytes:
        plaintext = json.dumps(dict(credentials), separators=(",", ":")).encode()
        ciphertext, _header = self._client.encrypt(
            source=plaintext,
            materials_manager=self._materials,
            encryption_context=encryption_context(org_id, connection_id),
            # Committing and unsigned: signing adds an ECDSA key per message and nothing here needs it.
            algorithm=Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
        )
        return bytes(ciphertext)

    def decrypt(self, ciphertext: bytes, *, org_id: str, connection_id: str) -> dict[str, str]:
        try:
            plaintext, header = self._client.decrypt(source=ciphertext, materials_manager=self._materials)
        except (AWSEncryptionSDKClientError, InvalidTag):  # tampered, truncated or foreign ciphertext
            raise CredentialsUnreadable() from None
        expected = encryption_context(org_id, connection_id)
        found = {key: header.encryption_context.get(key) for key in expected}
        if found != expected:  # copied from another connection: the caller enters them again
            raise CredentialsUnreadable()
        credentials = json.loads(plaintext)
        return {str(key): str(value) for key, value in credentials.items()}
