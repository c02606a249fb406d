"""Create the template's table and KMS key in whatever endpoint boto3 points at (moto, locally)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from local.sam_template import table_definition, ttl_attribute


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    key_arn: str


def create_table(table_name: str, client: Any | None = None) -> None:
    """Create the table exactly as template.yaml defines it, and enable its TTL."""
    dynamodb = client or boto3.client("dynamodb")
    dynamodb.create_table(TableName=table_name, **table_definition())
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)
    attribute = ttl_attribute()
    if attribute:
        dynamodb.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )


def create_credentials_key(client: Any | None = None) -> str:
    """A symmetric KMS key with rotation, as the template's CredentialsKey; returns its ARN."""
    kms = client or boto3.client("kms")
    key_arn = kms.create_key(Description="Connection credentials (local)")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_arn)
    return key_arn


def provision(table_name: str = "connections-local") -> LocalResources:
    """Table and key for a local or test environment."""
    create_table(table_name)
    return LocalResources(table_name=table_name, key_arn=create_credentials_key())
