"""ApiKeyRepository on DynamoDB: ``APIKEY#<digest>`` for lookups, plus an org-side reference item so
keys can be counted (at most 25) and revoked by id without storing the key."""

from __future__ import annotations

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_item
from connections.adapters.dynamodb.keys import api_key_key, api_key_reference_key, meta_key
from connections.adapters.dynamodb.table_client import TableRepository, Transaction
from connections.domain.api_keys import ApiKey
from connections.domain.errors import Conflict, NotFound


class DynamoApiKeyRepository(TableRepository):
    def find_by_digest(self, digest: str) -> ApiKey | None:
        item = self.client.get_item(TableName=self._table, Key=api_key_key(digest)).get("Item")
        if not item:
            return None
        values = from_item(item)
        return ApiKey(
            key_id=values["keyId"],
            org_id=values["orgId"],
            name=values.get("name", ""),
            scopes=frozenset(values.get("scopes", [])),
            created_at=values["createdAt"],
            expires_at=values.get("expiresAt"),
            revoked_at=values.get("revokedAt"),
        )

    def add(self, api_key: ApiKey, digest: str, max_per_org: int) -> None:
        record = {
            "keyId": api_key.key_id,
            "orgId": api_key.org_id,
            "name": api_key.name,
            "scopes": sorted(api_key.scopes),
            "createdAt": api_key.created_at,
            "expiresAt": api_key.expires_at,
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
                raise Conflict(f"API key limit reached: at most {max_per_org} keys per organisation") from None
            raise

    def revoke(self, org_id: str, key_id: str, revoked_at: str) -> None:
        reference = self.client.get_item(TableName=self._table, Key=api_key_reference_key(org_id, key_id)).get("Item")
        if not reference:
            raise NotFound("API key not found")
        digest = from_item(reference)["digest"]
        self.client.update_item(
            TableName=self._table,
            Key=api_key_key(digest),
            UpdateExpression="SET revokedAt = :now",
            ExpressionAttributeValues={":now": {"S": revoked_at}},
        )
