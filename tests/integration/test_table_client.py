"""query_all: every page of a query through boto3's paginator, with the same error translation as every
other DynamoDB call (the paginator's requests do not pass through ThrottleTranslatingClient)."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connections.adapters.dynamodb.table_client import (
    ThrottleTranslatingClient,
    Transaction,
    condition_failed,
    query_all,
)
from connections.domain.errors import StorageThrottled, StorageUnavailable
from local.provision import LocalResources


def fill(aws: LocalResources, count: int) -> Any:
    client = boto3.client("dynamodb")
    for number in range(count):
        client.put_item(TableName=aws.table_name, Item={"pk": {"S": "ORG#q"}, "sk": {"S": f"ITEM#{number:04d}"}})
    return client


def request(aws: LocalResources) -> dict[str, Any]:
    return {
        "TableName": aws.table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "ORG#q"}},
        "Limit": 7,  # pages of 7: 25 items take 4 pages
    }


def counting_queries(client: Any) -> list[str]:
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb.Query", lambda **_: calls.append("Query"))
    return calls


def test_every_page_is_read(aws: LocalResources) -> None:
    client = fill(aws, 25)
    calls = counting_queries(client)

    items = list(query_all(ThrottleTranslatingClient(client), request(aws)))

    assert [item["sk"]["S"] for item in items] == [f"ITEM#{number:04d}" for number in range(25)]
    assert len(calls) == 4


def test_pages_are_read_only_as_far_as_they_are_consumed(aws: LocalResources) -> None:
    client = fill(aws, 25)
    calls = counting_queries(client)

    first = list(itertools.islice(query_all(ThrottleTranslatingClient(client), request(aws)), 8))

    assert len(first) == 8
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ProvisionedThroughputExceededException", StorageThrottled), ("InternalServerError", StorageUnavailable)],
)
def test_a_failure_on_a_later_page_is_translated(aws: LocalResources, code: str, expected: type[Exception]) -> None:
    client = fill(aws, 25)
    calls = counting_queries(client)

    def fail_second_page(**_: Any) -> None:
        if len(calls) == 2:
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, "Query")

    client.meta.events.register("before-call.dynamodb.Query", fail_second_page)

    with pytest.raises(expected):
        list(query_all(ThrottleTranslatingClient(client), request(aws)))


def test_other_errors_pass_unchanged(aws: LocalResources) -> None:
    client = fill(aws, 1)
    bad = request(aws) | {"KeyConditionExpression": "nope = :pk"}

    with pytest.raises(ClientError) as raised:
        list(query_all(ThrottleTranslatingClient(client), bad))
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert not condition_failed(raised.value)


def test_a_cancelled_transaction_names_the_parts_that_refused() -> None:
    transaction = Transaction()
    for name in ("limit", "record", "idempotency"):
        transaction.add(name, {"Put": {}})
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}, {"Code": "ConditionalCheckFailed"}]
    # Typed as Any: botocore's stubs (installed with the lint extra) type the reasons more narrowly.
    response: Any = {"Error": {"Code": "TransactionCanceledException", "Message": "x"}, "CancellationReasons": reasons}
    cancelled = ClientError(response, "TransactWriteItems")
    other = ClientError({"Error": {"Code": "ValidationException", "Message": "x"}}, "TransactWriteItems")

    assert transaction.refused(cancelled) == {"record", "idempotency"}
    assert transaction.refused(other) == frozenset()
