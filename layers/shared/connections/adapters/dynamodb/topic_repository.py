"""TopicRepository on DynamoDB.

Uniqueness lives in key items next to the topics, claimed with conditional writes (never check then
write): ``TNAME#<normalised name>`` per organisation and ``TEXT#<connection>#<external id>`` per
connection, each pointing at its topic. A new topic goes in with its keys in one transaction (up to
33 topics per transaction), so a key never points at a topic that was not written: a page that fails
part-way leaves whole topics or nothing, and a later run cannot take its items for duplicates of
topics that do not exist. Each key item records which writer (run page) claimed it, so a retried page
recognises its own earlier inserts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from connections.adapters.dynamodb.item_codec import from_item, to_attribute, to_item
from connections.adapters.dynamodb.keys import (
    TOPIC_SHARDS,
    TOPIC_SORT_PREFIX,
    TOPICS_BY_CONNECTION_KEY,
    Key,
    connection_topics_partition,
    topic_claim_key,
    topic_count_key,
    topic_key,
    topic_partition,
    topic_shard,
)
from connections.adapters.dynamodb.table_client import (
    TableRepository,
    Transaction,
    batch_get,
    batch_put,
    condition_failed,
    is_transaction_cancelled,
    query_all,
    retry_transaction_conflicts,
)
from connections.adapters.dynamodb.topic_listing import read_topic_page
from connections.domain.classification import Classification
from connections.domain.identifiers import TOPIC_PREFIX, new_id
from connections.domain.topic import Topic, TopicDraft, TopicListing, TopicQuery, TopicSource
from connections.ports.topic_repository import IngestKind, IngestOutcome

TOPIC_PREFIX_SK = TOPIC_SORT_PREFIX  # the sort-key prefix of topic items (what tests look for in requests)
# DynamoDB's limits of one transaction: 100 items and 4 MB in all (topics are up to 400 KB each).
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024 - 64 * 1024  # some room for the request's own overhead
KEY_ITEM_BYTES = 2 * 1024  # a key item: its key (at most ~450 bytes of text) and the topic id it points at
ENRICHMENTS_PER_TRANSACTION = 100
_MAX_KEY_TEXT = 400

# An external-id claim's ``topicFields``: which of these its topic is known to have, one bit each (the bits
# are stored: append names, never reorder). A sync only fills fields a topic lacks, and a topic never
# loses one, so an item whose fields are all listed on its claim has nothing to write to its topic.
CLAIM_FIELDS = "topicFields"
ENRICHABLE_FIELDS = (
    "description",
    "keywords",
    "category",
    "taxonomyPath",
    "audienceSize",
    "cpm",
    "classification",
    "connectionId",
    "externalId",
    TOPICS_BY_CONNECTION_KEY,
)
_FIELD_BITS = {name: 1 << position for position, name in enumerate(ENRICHABLE_FIELDS)}


def _field_mask(names: Iterable[str]) -> int:
    """The bits of the enrichable fields among ``names`` (attribute names of an item or an update)."""
    return sum(_FIELD_BITS[name] for name in set(names) if name in _FIELD_BITS)


@dataclass(frozen=True)
class _Candidate:
    """A duplicate whose topic is read: it may fill fields, and its external-id claim may list them."""

    draft: TopicDraft
    topic_id: str
    claim: Key | None  # the external-id claim that matched it (None: matched by name, or lost a race)
    claim_fields: int  # what that claim lists now


def _key_text(value: str) -> str:
    # Sort keys are limited to 1 KB; long names and ids are identified by their digest instead.
    return value if len(value) <= _MAX_KEY_TEXT else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _name_key(org_id: str, draft: TopicDraft) -> Key:
    return topic_claim_key(org_id, f"TNAME#{_key_text(draft.normalised_name)}")


def _external_key(org_id: str, connection_id: str | None, draft: TopicDraft) -> Key | None:
    if not connection_id or not draft.external_id:
        return None
    return topic_claim_key(org_id, f"TEXT#{connection_id}#{_key_text(draft.external_id)}")


def _classification_values(classification: Classification | None) -> dict[str, Any] | None:
    if classification is None:
        return None
    return {
        "iabCode": classification.iab_code,
        "tier1": classification.tier1,
        "tierPath": list(classification.tier_path),
        "segmentType": classification.segment_type,
        "confidence": classification.confidence,
        "engineVersion": classification.engine_version,
    }


def _draft_values(draft: TopicDraft) -> dict[str, Any]:
    """The optional fields a draft carries (used both to insert and to enrich)."""
    return {
        name: value
        for name, value in {
            "description": draft.description,
            "keywords": list(draft.keywords) or None,
            "category": draft.category,
            "taxonomyPath": draft.taxonomy_path,
            "audienceSize": draft.audience_size,
            "cpm": draft.cpm,
            "classification": _classification_values(draft.classification),
        }.items()
        if value is not None
    }


def topic_from_item(item: dict[str, Any]) -> Topic:
    values = from_item(item)
    classification = values.get("classification")
    return Topic(
        id=values["id"],
        org_id=values["orgId"],
        name=values["name"],
        source=TopicSource(values["source"]),
        created_at=values["createdAt"],
        updated_at=values["updatedAt"],
        last_seen_at=values.get("lastSeenAt", values["updatedAt"]),
        connection_id=values.get("connectionId"),
        external_id=values.get("externalId"),
        description=values.get("description"),
        keywords=tuple(values.get("keywords", ())),
        category=values.get("category"),
        taxonomy_path=values.get("taxonomyPath"),
        audience_size=values.get("audienceSize"),
        cpm=values.get("cpm"),
        classification=Classification(
            iab_code=classification["iabCode"],
            tier1=classification["tier1"],
            tier_path=tuple(classification["tierPath"]),
            segment_type=classification["segmentType"],
            confidence=float(classification["confidence"]),
            engine_version=classification["engineVersion"],
        )
        if classification
        else None,
    )


def topic_item(
    org_id: str,
    source: TopicSource,
    connection_id: str | None,
    draft: TopicDraft,
    topic_id: str,
    writer: str,
    now: str,
) -> dict[str, Any]:
    """A new topic's item: its shard's key, the draft's fields, and its TopicsByConnection key."""
    values = {
        "id": topic_id,
        "orgId": org_id,
        "name": draft.name,
        "nameKey": draft.normalised_name,
        "source": source.value,
        "connectionId": connection_id,
        "externalId": draft.external_id,
        "createdAt": now,
        "updatedAt": now,
        "lastSeenAt": now,
        "insertedBy": writer,
    } | _draft_values(draft)
    if connection_id:
        values[TOPICS_BY_CONNECTION_KEY] = connection_topics_partition(org_id, connection_id, topic_id)
    return topic_key(org_id, topic_id) | to_item(values)


class DynamoTopicRepository(TableRepository):
    # -- ingest -------------------------------------------------------------------------------------

    def ingest(
        self,
        org_id: str,
        source: TopicSource,
        connection_id: str | None,
        drafts: Sequence[TopicDraft],
        writer: str,
        now: str,
        enrich_duplicates: bool = True,
    ) -> list[IngestOutcome]:
        outcomes: dict[int, IngestOutcome] = {}
        existing = self._existing_claims(org_id, connection_id, drafts)
        new_indexes: list[int] = []
        unlinked: set[int] = set()  # duplicates found by name whose external id has no claim yet
        rewrite: dict[int, str] = {}  # drafts this writer claimed before a crash: topic item may be missing
        # Duplicates whose claim does not show that their topic has their fields: their topics are read
        # (with the external-id claim to update, if that is what matched, and the fields it lists).
        to_read: dict[int, tuple[Key | None, int]] = {}
        for index, draft in enumerate(drafts):
            claim, by_external = self._hit(existing, org_id, connection_id, draft)
            if claim is None:
                new_indexes.append(index)
            elif claim["insertedBy"] == writer:
                outcomes[index] = IngestOutcome(IngestKind.INSERTED, claim["topicId"])
                if not (by_external and CLAIM_FIELDS in claim):  # else written with its topic, in one transaction
                    rewrite[index] = claim["topicId"]
            else:
                outcomes[index] = IngestOutcome(IngestKind.DUPLICATE, claim["topicId"])
                if _external_key(org_id, connection_id, draft) is not None and not by_external:
                    unlinked.add(index)
                needed = _field_mask(self._enriching_fields(org_id, connection_id, draft, claim["topicId"]))
                listed = int(claim.get(CLAIM_FIELDS, 0)) if by_external else 0
                if not by_external or needed & ~listed:
                    to_read[index] = (_external_key(org_id, connection_id, draft) if by_external else None, listed)

        claimed = self._insert_new(org_id, source, connection_id, drafts, new_indexes, writer, now, outcomes)
        # Keys claimed before topics went in with their keys could point at a topic never written.
        batch_put(
            self.client,
            self._table,
            [
                topic_item(org_id, source, connection_id, drafts[index], topic_id, writer, now)
                for index, topic_id in self._missing_topics(org_id, rewrite).items()
            ],
        )
        for index, topic_id in claimed.items():
            outcomes[index] = IngestOutcome(IngestKind.INSERTED, topic_id)
        if enrich_duplicates:
            # Drafts that lost a race in _insert_new are duplicates found now: their topics are read too.
            lost = [i for i in new_indexes if i not in claimed and outcomes[i].kind is IngestKind.DUPLICATE]
            candidates = [
                _Candidate(drafts[index], outcomes[index].topic_id, *to_read.get(index, (None, 0)))
                for index in [*to_read, *lost]
            ]
            known = self._enrich_all(org_id, connection_id, candidates, now)
            for index in sorted(unlinked):
                topic_id = outcomes[index].topic_id
                self._link_external(org_id, connection_id, drafts[index], topic_id, known.get(topic_id))
        return [outcomes[index] for index in range(len(drafts))]

    def _existing_claims(
        self, org_id: str, connection_id: str | None, drafts: Sequence[TopicDraft]
    ) -> dict[str, dict[str, Any]]:
        """The claims of the drafts' external ids, then of the names of drafts no external id matched:
        a re-sync, where every item is matched by external id, reads no name claim."""
        externals = {
            key["sk"]["S"]: key
            for key in (_external_key(org_id, connection_id, draft) for draft in drafts)
            if key is not None
        }
        found = self._read_claims(list(externals.values()))
        names: dict[str, Key] = {}
        for draft in drafts:
            external = _external_key(org_id, connection_id, draft)
            if external is None or external["sk"]["S"] not in found:
                key = _name_key(org_id, draft)
                names[key["sk"]["S"]] = key
        return found | self._read_claims(list(names.values()))

    def _read_claims(self, keys: list[Key]) -> dict[str, dict[str, Any]]:
        items = batch_get(self.client, self._table, list(keys))
        return {item["sk"]["S"]: from_item(item) for item in items}

    @staticmethod
    def _hit(
        existing: dict[str, dict[str, Any]], org_id: str, connection_id: str | None, draft: TopicDraft
    ) -> tuple[dict[str, Any] | None, bool]:
        """The claim that makes ``draft`` a duplicate (None if new), and whether it is its external id's."""
        external = _external_key(org_id, connection_id, draft)
        if external is not None and external["sk"]["S"] in existing:
            return existing[external["sk"]["S"]], True
        return existing.get(_name_key(org_id, draft)["sk"]["S"]), False

    def _insert_new(
        self,
        org_id: str,
        source: TopicSource,
        connection_id: str | None,
        drafts: Sequence[TopicDraft],
        indexes: list[int],
        writer: str,
        now: str,
        outcomes: dict[int, IngestOutcome],
    ) -> dict[int, str]:
        """Insert new drafts, each topic in the same transaction as the claims of its name and external-id
        keys; losers of a race become duplicates. Returns the inserted topic ids by draft index."""
        inserted: dict[int, str] = {}
        ids = {index: new_id(TOPIC_PREFIX) for index in indexes}
        # Drafts go in shard order: a transaction then holds the topics of one or two shards and carries
        # one or two count updates (2 write units each), not one for each of the 8 shards.
        pending = sorted(indexes, key=lambda index: (topic_shard(ids[index]), index))
        while pending:
            chunk = self._next_chunk(connection_id, drafts, pending, ids)
            pending = pending[len(chunk) :]
            # Each part is named for its draft, so a cancellation says which drafts lost a key.
            transaction, draft_of_part = Transaction(), {}
            for index in chunk:
                draft = drafts[index]
                topic = topic_item(org_id, source, connection_id, draft, ids[index], writer, now)
                claims = {
                    "name": (_name_key(org_id, draft), {}),
                    # The external-id claim says which fields its topic has: a re-sync of the item reads
                    # this claim only, not the topic, unless the item brings a field not listed.
                    "external id": (_external_key(org_id, connection_id, draft), {CLAIM_FIELDS: _field_mask(topic)}),
                }
                for kind, (key, extra) in claims.items():
                    if key is not None:
                        item = key | to_item({"topicId": ids[index], "insertedBy": writer} | extra)
                        transaction.add(f"{kind} of draft {index}", self._put_new(item))
                        draft_of_part[f"{kind} of draft {index}"] = index
                transaction.add(f"topic of draft {index}", self._put_new(topic))
                draft_of_part[f"topic of draft {index}"] = index
            # The shards' topic counts move in the same transaction: the listing's total stays exact.
            for shard, added in Counter(topic_shard(ids[index]) for index in chunk).items():
                transaction.add(f"count of shard {shard}", self._count_update(org_id, shard, added))
            try:
                transaction.write(self.client)
            except ClientError as error:
                if not is_transaction_cancelled(error):
                    raise
                losers = {draft_of_part[name] for name in transaction.refused(error) if name in draft_of_part}
                if not losers:
                    raise
                # Someone else claimed these keys meanwhile: they are duplicates; retry the rest.
                found = self._existing_claims(org_id, connection_id, [drafts[index] for index in losers])
                retry = [index for index in chunk if index not in losers]
                for index in losers:
                    claim, _ = self._hit(found, org_id, connection_id, drafts[index])
                    if claim is None:  # claimed and released again: try once more as new
                        retry.append(index)
                    else:
                        outcomes[index] = IngestOutcome(IngestKind.DUPLICATE, claim["topicId"])
                pending = retry + pending
                continue
            inserted.update({index: ids[index] for index in chunk})
        return inserted

    def _count_update(self, org_id: str, shard: int, added: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": topic_count_key(org_id, shard),
                "UpdateExpression": "ADD topicCount :added",
                "ExpressionAttributeValues": {":added": {"N": str(added)}},
            }
        }

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    @staticmethod
    def _next_chunk(
        connection_id: str | None, drafts: Sequence[TopicDraft], pending: list[int], ids: dict[int, str]
    ) -> list[int]:
        """The longest head of ``pending`` whose topics, keys and count updates fit in one transaction
        (at least one draft)."""
        chunk: list[int] = []
        shards: set[int] = set()
        items = size = 0
        for index in pending:
            draft = drafts[index]
            keys = 2 if connection_id and draft.external_id else 1
            grown_shards = shards | {topic_shard(ids[index])}
            grown_items, grown_size = items + keys + 1, size + keys * KEY_ITEM_BYTES + draft.stored_bytes()
            too_many = grown_items + len(grown_shards) > MAX_TRANSACTION_ITEMS
            if chunk and (too_many or grown_size > MAX_TRANSACTION_BYTES):
                break
            chunk.append(index)
            shards, items, size = grown_shards, grown_items, grown_size
        return chunk

    def _missing_topics(self, org_id: str, rewrite: dict[int, str]) -> dict[int, str]:
        if not rewrite:
            return {}
        present = {
            from_item(item)["id"]
            for item in batch_get(self.client, self._table, [topic_key(org_id, tid) for tid in rewrite.values()])
        }
        return {index: topic_id for index, topic_id in rewrite.items() if topic_id not in present}

    @staticmethod
    def _enriching_fields(org_id: str, connection_id: str | None, draft: TopicDraft, topic_id: str) -> dict[str, Any]:
        """The fields a duplicate sets on its topic where the topic has none."""
        fields = _draft_values(draft)
        if connection_id and draft.external_id:
            fields |= {
                "connectionId": connection_id,
                "externalId": draft.external_id,
                # Set with connectionId (both only where missing): the topic joins that connection's index.
                TOPICS_BY_CONNECTION_KEY: connection_topics_partition(org_id, connection_id, topic_id),
            }
        return fields

    def _enrichment(
        self, org_id: str, connection_id: str | None, draft: TopicDraft, topic_id: str, now: str
    ) -> dict[str, Any]:
        """The update that fills the fields the topic lacks and notes that the segment was seen again."""
        fields = self._enriching_fields(org_id, connection_id, draft, topic_id)
        names = {f"#f{position}": name for position, name in enumerate(fields)}
        values = {f":f{position}": to_attribute(value) for position, value in enumerate(fields.values())}
        fills = [f"#f{position} = if_not_exists(#f{position}, :f{position})" for position in range(len(fields))]
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": topic_key(org_id, topic_id),
            "UpdateExpression": "SET " + ", ".join(["lastSeenAt = :now", "updatedAt = :now", *fills]),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": values | {":now": {"S": now}},
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return update

    def _claim_fields_update(self, claim: Key, topic_id: str, mask: int) -> dict[str, Any]:
        """Record on an external-id claim which fields its topic has (only while it claims that topic)."""
        return {
            "TableName": self._table,
            "Key": claim,
            "UpdateExpression": f"SET {CLAIM_FIELDS} = :fields",
            "ConditionExpression": "topicId = :topic",
            "ExpressionAttributeValues": {":fields": {"N": str(mask)}, ":topic": {"S": topic_id}},
        }

    def _enrich_all(
        self, org_id: str, connection_id: str | None, candidates: list[_Candidate], now: str
    ) -> dict[str, int]:
        """Enrich duplicates in transactions of up to 100 updates (one round trip per 100, not per item).

        Only a duplicate that brings a field its topic lacks writes its topic: a re-sync of unchanged
        segments writes nothing (a write costs several times a read, and twice again in a
        transaction), so ``lastSeenAt`` moves when a sync changed the topic. An external-id claim
        gets the topic's fields in the same transaction, so the next re-sync of an unchanged item
        reads the claim alone. Returns, per topic written or found complete, the fields it is known
        to have."""
        if not candidates:
            return {}
        stored = {
            from_item(item)["id"]: item
            for item in batch_get(
                self.client,
                self._table,
                [topic_key(org_id, topic_id) for topic_id in dict.fromkeys(c.topic_id for c in candidates)],
            )
        }
        groups: dict[str, list[dict[str, Any]]] = {}  # per topic: its update (if any) and its claims' updates
        known: dict[str, int] = {}
        for candidate in candidates:
            topic = stored.get(candidate.topic_id)
            if topic is None:
                continue  # not written yet (its page is mid-flight)
            if candidate.topic_id not in known:
                fields = self._enriching_fields(org_id, connection_id, candidate.draft, candidate.topic_id)
                group = groups.setdefault(candidate.topic_id, [])
                known[candidate.topic_id] = _field_mask(topic) | _field_mask(fields)
                # One update per topic: a transaction may not touch an item twice.
                if any(name not in topic for name in fields):
                    group.append(self._enrichment(org_id, connection_id, candidate.draft, candidate.topic_id, now))
            claim = candidate.claim
            if claim is not None and known[candidate.topic_id] != int(candidate.claim_fields):
                groups[candidate.topic_id].append(
                    self._claim_fields_update(claim, candidate.topic_id, known[candidate.topic_id])
                )
        chunk: list[list[dict[str, Any]]] = []
        for group in [group for group in groups.values() if group]:
            if sum(map(len, chunk)) + len(group) > ENRICHMENTS_PER_TRANSACTION:
                self._write_groups(chunk, known)
                chunk = []
            chunk.append(group[:ENRICHMENTS_PER_TRANSACTION])
        self._write_groups(chunk, known)
        return known

    def _write_groups(self, groups: list[list[dict[str, Any]]], known: dict[str, int]) -> None:
        """Write topic updates with their claims' updates in one transaction; if it is cancelled (a
        topic not written yet, its page mid-flight), each group alone: its topic, then its claims."""
        if not groups:
            return
        updates = [update for group in groups for update in group]
        try:
            retry_transaction_conflicts(
                partial(self.client.transact_write_items, TransactItems=[{"Update": update} for update in updates])
            )
            return
        except ClientError as error:
            if not is_transaction_cancelled(error):
                raise
        for group in groups:
            topic_updates = [update for update in group if update["Key"]["sk"]["S"].startswith(TOPIC_SORT_PREFIX)]
            if topic_updates and not self._update_one(topic_updates[0]):
                topic_id = topic_updates[0]["Key"]["sk"]["S"][len(TOPIC_SORT_PREFIX) :]
                known.pop(topic_id, None)
                continue  # the claims must not list fields their topic did not get
            for update in group:
                if update not in topic_updates:
                    self._update_one(update)

    def _update_one(self, update: dict[str, Any]) -> bool:
        try:
            self.client.update_item(**update)
        except ClientError as error:
            if not condition_failed(error):
                raise
            return False
        return True

    def _link_external(
        self, org_id: str, connection_id: str | None, draft: TopicDraft, topic_id: str, fields: int | None
    ) -> None:
        """A duplicate found by name: remember its external id too, so a later rename still deduplicates.
        The claim lists its topic's fields only when this ingest saw (or wrote) them on the topic."""
        external = _external_key(org_id, connection_id, draft)
        if external is None:
            return
        values: dict[str, Any] = {"topicId": topic_id, "insertedBy": "enrich"}
        if fields is not None:
            values[CLAIM_FIELDS] = fields
        try:
            self.client.put_item(
                TableName=self._table,
                Item=external | to_item(values),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise

    # -- reads --------------------------------------------------------------------------------------

    def list_for_org(self, org_id: str) -> list[Topic]:
        topics: list[Topic] = []
        for shard in range(TOPIC_SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": topic_partition(org_id, shard)},
                    ":prefix": {"S": TOPIC_SORT_PREFIX},
                },
            }
            topics.extend(topic_from_item(item) for item in query_all(self.client, request))
        return sorted(topics, key=lambda topic: topic.id)

    def list_page(self, org_id: str, query: TopicQuery) -> TopicListing:
        page = read_topic_page(self.client, self._table, org_id, query)
        return TopicListing([topic_from_item(item) for item in page.items], page.next_after, page.total)

    def get_many(self, org_id: str, topic_ids: Sequence[str]) -> dict[str, Topic]:
        keys = [topic_key(org_id, topic_id) for topic_id in dict.fromkeys(topic_ids)]
        return {
            topic.id: topic for topic in (topic_from_item(item) for item in batch_get(self.client, self._table, keys))
        }
