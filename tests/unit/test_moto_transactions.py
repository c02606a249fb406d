"""local/moto_transactions.py patches moto's DynamoDB internals; these checks fail with a plain message
when a moto release moves what the patch relies on (pyproject pins moto to the range they were read on)."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb import models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from local import moto_transactions

MOVED = "moto changed what local/moto_transactions.py patches; re-read moto's DynamoDB models and adapt the patch"


def moto_transact_write_items() -> Any:
    """moto's own transact_write_items, under the patch when it is applied."""
    method = models.DynamoDBBackend.transact_write_items
    return getattr(method, "__wrapped__", method)


def test_the_backend_still_copies_whole_tables_with_the_module_copy() -> None:
    source = inspect.getsource(moto_transact_write_items())

    # The patch swaps the `copy` module that moto's models module imported, and skips exactly this backup.
    assert "copy.deepcopy(" in source and "self.tables[table_name]" in source, MOVED
    assert list(inspect.signature(moto_transact_write_items()).parameters) == ["self", "transact_items"], MOVED
    assert models.copy is copy or isinstance(models.copy, moto_transactions._TableCopiesSkipped), MOVED


def test_the_table_attributes_the_undo_log_uses_exist() -> None:
    assert list(inspect.signature(Table.get_item).parameters)[:3] == ["self", "hash_key", "range_key"], MOVED
    assert list(inspect.signature(Table.delete_item).parameters)[:3] == ["self", "hash_key", "range_key"], MOVED
    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        table = models.dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables["t"]
    assert isinstance(table, Table), MOVED
    assert (table.hash_key_attr, table.range_key_attr) == ("PK", "SK"), MOVED
    assert isinstance(table.items, dict), MOVED
    assert DynamoType({"S": "a"}) == DynamoType({"S": "a"}), MOVED


def test_a_cancelled_transaction_rolls_back_without_copying_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    moto_transactions.apply()
    table_copies = []
    real_deepcopy = copy.deepcopy

    def counting_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table):
            table_copies.append(value.name)
        return real_deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting_deepcopy)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"PK": {"S": "kept"}, "n": {"N": "1"}})
        with pytest.raises(client.exceptions.TransactionCanceledException):
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": {"PK": {"S": "kept"}, "n": {"N": "2"}}}},
                    {"Put": {"TableName": "t", "Item": {"PK": {"S": "new"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": "t",
                            "Key": {"PK": {"S": "absent"}},
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                ]
            )
        items = client.scan(TableName="t")["Items"]

    assert items == [{"PK": {"S": "kept"}, "n": {"N": "1"}}]
    assert table_copies == [], MOVED
