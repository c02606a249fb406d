"""ApiKeyRepository on DynamoDB: ``APIKEY#<digest>`` for lookups, plus an org-side reference item so
keys can be counted (at most 25 active), listed and revoked by id without storing the key.

The organisation's ``apiKeyCount`` (on its META item) counts unrevoked keys: a create increments it in
the transaction that writes the key, under the condition that it is below the limit; a revoke
decrements it in the transaction that marks the key revoked, under the condition that it was not
revoked yet, so a retried or concurrent DELETE frees one slot only. An expired key keeps its slot until
it is revoked. ``lastUsedAt`` lives on the lookup item, the one the authorizer reads and may update.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_item
from connections.adapters.dynamodb.keys import (
    API_KEY_PARTITION_PREFIX,
    API_KEY_REFERENCE_SORT_PREFIX,
    api_key_key,
    api_key_reference_key,
    meta_key,
    org_partition,
)
from connections.adapters.dynamodb.table_client import TableRepository, Transaction, batch_get, query_all
from connections.domain.api_keys import API_KEY_PREFIX, ApiKey
from connections.domain.errors import Conflict, DomainError, NotFound
from connections.observability import logger


def _api_key(values: dict[str, Any], lookup: dict[str, Any] | None = None) -> ApiKey:
    """A record from a lookup or reference item; ``lookup`` adds what only the lookup item holds."""
    lookup = lookup or {}
    return ApiKey(
        key_id=values["keyId"],
        org_id=values["orgId"],
        name=values.get("name", ""),
        scopes=frozenset(values.get("scopes", [])),
        created_at=values["createdAt"],
        expires_at=values.get("expiresAt"),
        revoked_at=values.get("revokedAt") or lookup.get("revokedAt"),
        prefix=values.get("prefix") or API_KEY_PREFIX,
        last_used_at=values.get("lastUsedAt") or lookup.get("lastUsedAt"),
    )


class DynamoApiKeyRepository(TableRepository):
    def find_by_digest(self, digest: str) -> ApiKey | None:
        item = self.client.get_item(TableName=self._table, Key=api_key_key(digest)).get("Item")
        return _api_key(from_item(item)) if item else None

    def add(self, api_key: ApiKey, digest: str, max_per_org: int) -> None:
        record = {
            "keyId": api_key.key_id,
            "orgId": api_key.org_id,
            "name": api_key.name,
            "scopes": sorted(api_key.scopes),
            "createdAt": api_key.created_at,
            "expiresAt": api_key.expires_at,
            "prefix": api_key.prefix,
        }
        transaction = Transaction()
        transaction.add(
            "limit",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": meta_key(api_key.org_id),
                    "UpdateExpression": "SET apiKeyCount = if_not_exists(apiKeyCount, :zero) + :one",
                    "ConditionExpression": "attribute_not_exists(apiKeyCount) OR apiKeyCount < :max",
                    "ExpressionAttributeValues": {
                        ":zero": {"N": "0"},
                        ":one": {"N": "1"},
                        ":max": {"N": str(max_per_org)},
                    },
                }
            },
        )
        transaction.add(
            "key",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": api_key_key(digest) | to_item(record),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        transaction.add(
            "reference",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": api_key_reference_key(api_key.org_id, api_key.key_id)
                    | to_item(record | {"digest": digest}),
                }
            },
        )
        try:
            transaction.write(self.client)
        except ClientError as error:
            if "limit" in transaction.refused(error):
                raise Conflict(
                    f"API key limit reached: at most {max_per_org} active keys per organisation; revoke one first"
                ) from None
            raise

    def list_keys(self, org_id: str) -> list[ApiKey]:
        references = [
            from_item(item)
            for item in query_all(
                self.client,
                {
                    "TableName": self._table,
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                    "ExpressionAttributeValues": {
                        ":pk": {"S": org_partition(org_id)},
                        ":prefix": {"S": API_KEY_REFERENCE_SORT_PREFIX},
                    },
                    "ScanIndexForward": False,  # key ids are ULIDs: newest first
                    "ConsistentRead": True,
                },
            )
        ]
        lookups = self._lookups([reference["digest"] for reference in references])
        return [_api_key(reference, lookups.get(reference["digest"])) for reference in references]

    def revoke(self, org_id: str, key_id: str, revoked_at: str) -> ApiKey:
        reference = self._reference(org_id, key_id)
        if reference.get("revokedAt"):
            return self._with_lookup(reference)
        transaction = self._revocation(org_id, key_id, reference["digest"], revoked_at, free_slot=True)
        try:
            transaction.write(self.client)
        except ClientError as error:
            refused = transaction.refused(error)
            if "reference" in refused:  # revoked meanwhile by a concurrent DELETE
                return self._with_lookup(self._reference(org_id, key_id))
            if "slot" not in refused:
                raise
            # A counter already at 0 (or missing) has no slot of this key to free: revoke all the same.
            self._revocation(org_id, key_id, reference["digest"], revoked_at, free_slot=False).write(self.client)
        return self._with_lookup(reference | {"revokedAt": revoked_at})

    def _revocation(self, org_id: str, key_id: str, digest: str, revoked_at: str, free_slot: bool) -> Transaction:
        """Both items marked revoked, once (the reference's condition), and the slot freed with it."""
        transaction = Transaction()
        transaction.add(
            "reference",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": api_key_reference_key(org_id, key_id),
                    "UpdateExpression": "SET revokedAt = :now",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revokedAt)",
                    "ExpressionAttributeValues": {":now": {"S": revoked_at}},
                }
            },
        )
        transaction.add(
            "key",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": api_key_key(digest),
                    "UpdateExpression": "SET revokedAt = :now",
                    "ExpressionAttributeValues": {":now": {"S": revoked_at}},
                }
            },
        )
        if free_slot:
            transaction.add(
                "slot",
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": meta_key(org_id),
                        "UpdateExpression": "SET apiKeyCount = apiKeyCount - :one",
                        "ConditionExpression": "apiKeyCount >= :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            )
        return transaction

    def record_use(self, digest: str, used_at: str, unless_used_since: str) -> None:
        try:
            self.client.update_item(
                TableName=self._table,
                Key=api_key_key(digest),
                UpdateExpression="SET lastUsedAt = :now",
                # Another container may have written it a moment ago; then this write is skipped.
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :cutoff)"
                ),
                ExpressionAttributeValues={":now": {"S": used_at}, ":cutoff": {"S": unless_used_since}},
            )
        except (ClientError, DomainError) as error:
            # Best effort: lastUsedAt is informational, so neither a refused condition (used since) nor a
            # throttled write may turn an authenticated request away.
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            if code != "ConditionalCheckFailedException":
                logger.warning("lastUsedAt not recorded", extra={"error_type": type(error).__name__})

    def _reference(self, org_id: str, key_id: str) -> dict[str, Any]:
        item = self.client.get_item(
            TableName=self._table, Key=api_key_reference_key(org_id, key_id), ConsistentRead=True
        ).get("Item")
        if not item:
            raise NotFound("API key not found")
        return from_item(item)

    def _with_lookup(self, reference: dict[str, Any]) -> ApiKey:
        return _api_key(reference, self._lookups([reference["digest"]]).get(reference["digest"]))

    def _lookups(self, digests: list[str]) -> dict[str, dict[str, Any]]:
        """The lookup items of ``digests`` by digest (lastUsedAt, and revokedAt of keys revoked before
        the reference item carried it)."""
        if not digests:
            return {}
        items = batch_get(self.client, self._table, [api_key_key(digest) for digest in digests])
        values = [from_item(item) for item in items]
        return {item["pk"].removeprefix(API_KEY_PARTITION_PREFIX): item for item in values}
