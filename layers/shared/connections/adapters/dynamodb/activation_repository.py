"""ActivationRepository on DynamoDB. An activation is stored in its connection's partition under its
topic (push_repository.py), so finding one by its id alone takes its ``ActivationsByOrg`` index entry
(the shard is a hash of the id: one Query of one partition) for the connection and topic, then a
consistent read of the item, which the change is decided on.

A change claims the activation with the push claim (``claimToken``, ``leaseExpires``) under the
condition that its status is still the one read and no push call or other change holds it, so two
concurrent refreshes make one platform call, and a push batch never takes an activation being
deactivated; the outcome is written with the push repository's ``record_outcome``, only while the
claim holds."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import to_attribute
from connections.adapters.dynamodb.keys import (
    ACTIVATION_LIST_SORT_KEY,
    ACTIVATIONS_BY_ORG_INDEX,
    ACTIVATIONS_BY_ORG_KEY,
    activation_key,
    activation_shard,
    org_activations_partition,
)
from connections.adapters.dynamodb.push_repository import DynamoPushRepository, activation_from_item
from connections.adapters.dynamodb.table_client import TableRepository, condition_failed
from connections.domain.activation import Activation


class DynamoActivationRepository(TableRepository):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)
        self._pushes = DynamoPushRepository(table_name, client)

    def find(self, org_id: str, activation_id: str) -> Activation | None:
        response = self.client.query(
            TableName=self._table,
            IndexName=ACTIVATIONS_BY_ORG_INDEX,
            KeyConditionExpression="#pk = :pk AND #id = :id",
            ExpressionAttributeNames={"#pk": ACTIVATIONS_BY_ORG_KEY, "#id": ACTIVATION_LIST_SORT_KEY},
            ExpressionAttributeValues={
                ":pk": {"S": org_activations_partition(org_id, activation_shard(activation_id))},
                ":id": {"S": activation_id},
            },
        )
        if not response["Items"]:
            return None
        indexed = activation_from_item(response["Items"][0])
        key = activation_key(org_id, indexed.connection_id, indexed.topic_id)
        item = self.client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        # The index lags the table: the item may have gone (its connection deleted) since.
        if item is None or item.get("id", {}).get("S") != activation_id:
            return None
        return activation_from_item(item)

    def claim_change(self, activation: Activation, token: str, lease_seconds: float) -> Activation | None:
        now = time.time()
        try:
            response = self.client.update_item(
                TableName=self._table,
                Key=activation_key(activation.org_id, activation.connection_id, activation.topic_id),
                UpdateExpression="SET claimToken = :token, leaseExpires = :lease",
                ConditionExpression="#id = :id AND #status = :status "
                "AND (attribute_not_exists(claimToken) OR leaseExpires < :now)",
                ExpressionAttributeNames={"#id": "id", "#status": "status"},
                ExpressionAttributeValues={
                    ":token": {"S": token},
                    ":lease": to_attribute(round(now + lease_seconds, 3)),
                    ":now": to_attribute(round(now, 3)),
                    ":id": {"S": activation.id},
                    ":status": {"S": activation.status.value},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return activation_from_item(response["Attributes"])

    def record_outcome(self, activation: Activation, token: str) -> bool:
        return self._pushes.record_outcome(activation, token)

    def release(self, activation: Activation, token: str) -> None:
        self._pushes.release(activation, token, None)
