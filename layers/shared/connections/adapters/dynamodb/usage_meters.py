"""UsageMeters on DynamoDB: the plan at ``ORG#<org>`` / ``PLAN`` and each month's counters at
``ORG#<org>`` / ``USAGE#<yyyy-mm>`` (one number attribute per meter).

A reservation is one UpdateItem ``ADD`` conditional on the sum staying within the limit: DynamoDB
applies conditional updates of one item one at a time, so concurrent page calls can never take the
counter past the limit, and a refused one changes nothing.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item
from connections.adapters.dynamodb.keys import plan_key, usage_key
from connections.adapters.dynamodb.table_client import TableRepository, condition_failed

# A month's counters are kept about a year after it (for support questions), then expire.
USAGE_TTL_SECONDS = 400 * 24 * 3600


class DynamoUsageMeters(TableRepository):
    def plan(self, org_id: str) -> str | None:
        item = self.client.get_item(
            TableName=self._table,
            Key=plan_key(org_id),
            ProjectionExpression="#plan",
            ExpressionAttributeNames={"#plan": "plan"},
        ).get("Item")
        return from_item(item).get("plan") if item else None

    def set_plan(self, org_id: str, plan: str) -> None:
        self.client.put_item(
            TableName=self._table, Item=plan_key(org_id) | {"plan": {"S": plan}, "orgId": {"S": org_id}}
        )

    def reserve(self, org_id: str, month: str, meter: str, amount: int, limit: int) -> int | None:
        try:
            self.client.update_item(
                TableName=self._table,
                Key=usage_key(org_id, month),
                UpdateExpression="ADD #meter :amount SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(#meter) OR #meter <= :most",
                ExpressionAttributeNames={"#meter": meter, "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":amount": {"N": str(amount)},
                    ":most": {"N": str(limit - amount)},
                    ":ttl": {"N": str(int(time.time()) + USAGE_TTL_SECONDS)},
                },
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            return self.used(org_id, month, meter)
        return None

    def give_back(self, org_id: str, month: str, meter: str, amount: int) -> None:
        self.client.update_item(
            TableName=self._table,
            Key=usage_key(org_id, month),
            UpdateExpression="ADD #meter :amount",
            ExpressionAttributeNames={"#meter": meter},
            ExpressionAttributeValues={":amount": {"N": str(-amount)}},
        )

    def used(self, org_id: str, month: str, meter: str) -> int:
        item = self.client.get_item(
            TableName=self._table,
            Key=usage_key(org_id, month),
            ProjectionExpression="#meter",
            ExpressionAttributeNames={"#meter": meter},
            ConsistentRead=True,
        ).get("Item")
        return int(from_item(item).get(meter, 0)) if item else 0
