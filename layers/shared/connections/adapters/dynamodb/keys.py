"""Key layout of the single table.

An organisation's connections, runs, activations and API-key references live under its partition
``ORG#<org>``. Its topic library is spread over ``TOPIC_SHARDS`` partitions: a large sync writes
hundreds of topics and name/external-id claims per page, more than one partition takes
(1,000 write units per second), so topics live at ``ORG#<org>#TOPIC#<shard>`` (the shard from the
topic id) and their claims at ``ORG#<org>#TKEY#<shard>`` (the shard from the claimed text). Both
shards are pure functions of what a caller already has (a topic id, a name), so every point read
stays a point read. See docs/STORAGE.md.
"""

from __future__ import annotations

import hashlib

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


API_KEY_REFERENCE_SORT_PREFIX = "APIKEYREF#"
API_KEY_PARTITION_PREFIX = "APIKEY#"


def api_key_reference_key(org_id: str, key_id: str) -> Key:
    return org_item_key(org_id, API_KEY_REFERENCE_SORT_PREFIX + key_id)


def api_key_key(digest: str) -> Key:
    """The lookup item of a key: the authorizer's one read (and its only write, lastUsedAt)."""
    return {"pk": {"S": API_KEY_PARTITION_PREFIX + digest}, "sk": {"S": "APIKEY"}}


# -- the topic library --------------------------------------------------------------------------

TOPIC_SHARDS = 8
TOPIC_SORT_PREFIX = "TOPIC#"
TOPIC_COUNT_SORT_KEY = "COUNT"  # per shard: how many topics the shard holds (the listing's total)
# The sparse GSI of topics that came from a connection (the listing's connectionId filter).
TOPICS_BY_CONNECTION_INDEX = "TopicsByConnection"
TOPICS_BY_CONNECTION_KEY = "connectionTopicsPk"


def _shard(text: str) -> int:
    # A stable hash (not Python's salted hash()): the shard must be the same in every process.
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big") % TOPIC_SHARDS


def topic_shard(topic_id: str) -> int:
    return _shard(topic_id)


def topic_partition(org_id: str, shard: int) -> str:
    return f"ORG#{org_id}#TOPIC#{shard}"


def topic_key(org_id: str, topic_id: str) -> Key:
    """A topic's item: sort key ``TOPIC#<id>``, so a shard's topics are in id (creation) order."""
    return {"pk": {"S": topic_partition(org_id, topic_shard(topic_id))}, "sk": {"S": TOPIC_SORT_PREFIX + topic_id}}


def topic_count_key(org_id: str, shard: int) -> Key:
    return {"pk": {"S": topic_partition(org_id, shard)}, "sk": {"S": TOPIC_COUNT_SORT_KEY}}


def connection_topics_shard(org_id: str, connection_id: str, shard: int) -> str:
    """A partition of TopicsByConnection (sharded like the table: one large sync is one connection)."""
    return f"ORG#{org_id}#CONN#{connection_id}#TOPIC#{shard}"


def connection_topics_partition(org_id: str, connection_id: str, topic_id: str) -> str:
    return connection_topics_shard(org_id, connection_id, topic_shard(topic_id))


def topic_claim_key(org_id: str, claim: str) -> Key:
    """The item that claims ``claim`` (``TNAME#<name>`` or ``TEXT#<connection>#<id>``) for one topic."""
    return {"pk": {"S": f"ORG#{org_id}#TKEY#{_shard(claim)}"}, "sk": {"S": claim}}


# -- activations --------------------------------------------------------------------------------
# One per (connection, topic), spread like topics: partition ``ORG#<org>#ACT#<connection>#<n>`` with
# ``n`` the topic's shard, so a push of many topics writes 8 partitions of its connection and a read
# by (connection, topic) stays a point read. The listing reads GSIs sorted by activation id (ULID:
# creation order), sharded the same way; see docs/STORAGE.md.

ACTIVATION_SHARDS = TOPIC_SHARDS
ACTIVATIONS_BY_ORG_INDEX = "ActivationsByOrg"
ACTIVATIONS_BY_ORG_KEY = "orgActivationsPk"
ACTIVATIONS_BY_CONNECTION_INDEX = "ActivationsByConnection"
ACTIVATIONS_BY_CONNECTION_KEY = "connectionActivationsPk"
ACTIVATIONS_BY_STATUS_INDEX = "ActivationsByStatus"
ACTIVATIONS_BY_STATUS_KEY = "statusActivationsPk"
# Sparse: set only while an activation is pending in a run (a push batch's candidates).
PENDING_ACTIVATIONS_INDEX = "PendingActivations"
PENDING_ACTIVATIONS_KEY = "pendingRunPk"
ACTIVATION_LIST_SORT_KEY = "id"  # the listing indexes' sort key: the activation id


def former_activation_key(org_id: str, connection_id: str, topic_id: str) -> Key:
    """Where activations were stored before they were spread out (read by the layout migration only)."""
    return org_item_key(org_id, f"{ACTIVATION_SORT_PREFIX}{connection_id}#{topic_id}")


def activation_partition(org_id: str, connection_id: str, shard: int) -> str:
    return f"ORG#{org_id}#ACT#{connection_id}#{shard}"


def activation_key(org_id: str, connection_id: str, topic_id: str) -> Key:
    partition = activation_partition(org_id, connection_id, topic_shard(topic_id))
    return {"pk": {"S": partition}, "sk": {"S": ACTIVATION_SORT_PREFIX + topic_id}}


def activation_shard(activation_id: str) -> int:
    return _shard(activation_id)


def org_activations_partition(org_id: str, shard: int) -> str:
    return f"ORG#{org_id}#ACTS#{shard}"


def connection_activations_partition(org_id: str, connection_id: str, shard: int) -> str:
    return f"ORG#{org_id}#CONN#{connection_id}#ACTS#{shard}"


def status_activations_partition(org_id: str, status: str, shard: int) -> str:
    return f"ORG#{org_id}#ACTSTATUS#{status}#{shard}"


def pending_activations_partition(org_id: str, run_id: str, shard: int) -> str:
    return f"ORG#{org_id}#PUSHRUN#{run_id}#PENDING#{shard}"


def activation_index_keys(
    org_id: str, connection_id: str, activation_id: str, topic_id: str, status: str, run_id: str | None
) -> dict[str, dict[str, str]]:
    """The GSI key attributes an activation carries (the pending one only while it is pending)."""
    shard = activation_shard(activation_id)
    keys = {
        ACTIVATIONS_BY_ORG_KEY: {"S": org_activations_partition(org_id, shard)},
        ACTIVATIONS_BY_CONNECTION_KEY: {"S": connection_activations_partition(org_id, connection_id, shard)},
        ACTIVATIONS_BY_STATUS_KEY: {"S": status_activations_partition(org_id, status, shard)},
    }
    if status == "pending" and run_id is not None:
        keys[PENDING_ACTIVATIONS_KEY] = {"S": pending_activations_partition(org_id, run_id, topic_shard(topic_id))}
    return keys


# -- run history ----------------------------------------------------------------------------------
# A connection's sync or push runs newest first (GSI RunsByConnection, sort key the run id, a ULID).
# One partition per connection and kind: runs are started at most a few a minute.
RUNS_BY_CONNECTION_INDEX = "RunsByConnection"
RUNS_BY_CONNECTION_KEY = "connectionRunsPk"


def connection_runs_partition(org_id: str, connection_id: str, kind: str) -> str:
    """``kind``: ``SYNCRUN`` or ``PUSHRUN``."""
    return f"ORG#{org_id}#CONN#{connection_id}#{kind}S"


# -- plans and quotas -----------------------------------------------------------------------------
# In the organisation's partition: one plan item (absent: Enterprise) and one usage item per month.
PLAN_SORT_KEY = "PLAN"
USAGE_SORT_PREFIX = "USAGE#"


def plan_key(org_id: str) -> Key:
    return org_item_key(org_id, PLAN_SORT_KEY)


def usage_key(org_id: str, month: str) -> Key:
    """``month``: ``2026-02``; a new month is a new item, so counters reset by themselves."""
    return org_item_key(org_id, USAGE_SORT_PREFIX + month)
