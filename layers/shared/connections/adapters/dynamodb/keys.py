"""Key layout of the single table: every item of an organisation lives under its partition."""

from __future__ import annotations

Key = dict[str, dict[str, str]]

META_SORT_KEY = "META"
CONNECTION_SORT_PREFIX = "CONN#"
SYNC_RUN_SORT_PREFIX = "SYNCRUN#"
PUSH_RUN_SORT_PREFIX = "PUSHRUN#"
ACTIVATION_SORT_PREFIX = "ACT#"


def org_partition(org_id: str) -> str:
    return f"ORG#{org_id}"


def org_item_key(org_id: str, sort_key: str) -> Key:
    """The key of an organisation's item ``sort_key`` (every item but the API-key lookups)."""
    return {"pk": {"S": org_partition(org_id)}, "sk": {"S": sort_key}}


def connection_key(org_id: str, connection_id: str) -> Key:
    return org_item_key(org_id, CONNECTION_SORT_PREFIX + connection_id)


def meta_key(org_id: str) -> Key:
    return org_item_key(org_id, META_SORT_KEY)


def idempotency_key(org_id: str, operation: str, key: str) -> Key:
    return org_item_key(org_id, f"IDEMPOTENCY#{operation}#{key}")


def sync_run_key(org_id: str, run_id: str) -> Key:
    return org_item_key(org_id, SYNC_RUN_SORT_PREFIX + run_id)


def sync_page_prefix(run_id: str) -> str:
    return f"{SYNC_RUN_SORT_PREFIX}{run_id}#PAGE#"


def sync_page_key(org_id: str, run_id: str, page: int) -> Key:
    return org_item_key(org_id, f"{sync_page_prefix(run_id)}{page:07d}")


def push_run_key(org_id: str, run_id: str) -> Key:
    return org_item_key(org_id, PUSH_RUN_SORT_PREFIX + run_id)


def activation_key(org_id: str, connection_id: str, topic_id: str) -> Key:
    return org_item_key(org_id, f"{ACTIVATION_SORT_PREFIX}{connection_id}#{topic_id}")


def api_key_reference_key(org_id: str, key_id: str) -> Key:
    return org_item_key(org_id, f"APIKEYREF#{key_id}")


def api_key_key(digest: str) -> Key:
    return {"pk": {"S": f"APIKEY#{digest}"}, "sk": {"S": "APIKEY"}}
