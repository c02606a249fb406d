"""Key layout of the single table: every item of an organisation lives under its partition."""

from __future__ import annotations


def org_partition(org_id: str) -> str:
    return f"ORG#{org_id}"


META_SORT_KEY = "META"
CONNECTION_SORT_PREFIX = "CONN#"


def connection_key(org_id: str, connection_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": org_partition(org_id)}, "sk": {"S": CONNECTION_SORT_PREFIX + connection_id}}


def meta_key(org_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": org_partition(org_id)}, "sk": {"S": META_SORT_KEY}}


def idempotency_key(org_id: str, operation: str, key: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": org_partition(org_id)}, "sk": {"S": f"IDEMPOTENCY#{operation}#{key}"}}


def api_key_key(digest: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"APIKEY#{digest}"}, "sk": {"S": "APIKEY"}}
