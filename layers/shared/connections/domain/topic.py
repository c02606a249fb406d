"""Topics: the organisation's library of audience segments, from syncs or created by hand (the request
body and filters of the topic routes: topic_requests.py)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from connections.domain.classification import Classification
from connections.domain.storage_limits import item_bytes


class TopicSource(StrEnum):
    SYNC = "sync"
    MANUAL = "manual"


# What a stored topic holds besides a draft's own fields: keys, ids, timestamps, attribute names.
TOPIC_ITEM_OVERHEAD_BYTES = 1024

_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[^\w\s$%+&<>/-]")


def normalise_name(name: str) -> str:
    """The name two topics share when they are the same audience: case, accents, spacing and stray
    punctuation do not count ("Auto Intenders - SUVs" == "auto intenders — suvs!")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    folded = _PUNCTUATION.sub(" ", folded).replace("-", " ")
    return _SPACES.sub(" ", folded).strip()


@dataclass(frozen=True)
class TopicDraft:
    """A topic about to be stored: the mapped fields of an item and its classification."""

    name: str
    external_id: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    category: str | None = None
    taxonomy_path: str | None = None
    audience_size: int | None = None
    cpm: float | None = None
    classification: Classification | None = None

    @property
    def normalised_name(self) -> str:
        return normalise_name(self.name)

    def stored_bytes(self) -> int:
        """About how large (in DynamoDB's bytes, erring large) the topic item of this draft is."""
        return item_bytes(asdict(self) | {"nameKey": self.normalised_name}) + TOPIC_ITEM_OVERHEAD_BYTES

    @classmethod
    def from_fields(cls, fields: dict[str, Any], classification: Classification | None) -> TopicDraft:
        """A draft from mapped topic fields (see field_mapping.map_item)."""
        size, cpm = fields.get("audience_size"), fields.get("cpm")
        keywords = fields.get("keywords") or ()
        return cls(
            name=str(fields["topic_name"]),
            external_id=fields.get("external_id"),
            description=_text(fields.get("description")),
            keywords=tuple(str(word) for word in keywords) if isinstance(keywords, list | tuple) else (),
            category=_text(fields.get("category")),
            taxonomy_path=_text(fields.get("taxonomy_path")),
            audience_size=int(size) if (size := _non_negative(size)) is not None else None,
            cpm=_non_negative(cpm),
            classification=classification,
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else (str(value) if isinstance(value, int | float) else None)


def _non_negative(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


@dataclass(frozen=True)
class Topic:
    """A stored topic."""

    id: str
    org_id: str
    name: str
    source: TopicSource
    created_at: str
    updated_at: str
    last_seen_at: str
    connection_id: str | None = None
    external_id: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    category: str | None = None
    taxonomy_path: str | None = None
    audience_size: int | None = None
    cpm: float | None = None
    classification: Classification | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def changed(self, **changes: Any) -> Topic:
        return replace(self, **changes)

    def to_response(self) -> dict[str, Any]:
        classification = self.classification
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "keywords": list(self.keywords),
            "category": self.category,
            "taxonomyPath": self.taxonomy_path,
            "audienceSize": self.audience_size,
            "cpm": self.cpm,
            "source": self.source.value,
            "connectionId": self.connection_id,
            "externalId": self.external_id,
            "iabCode": classification.iab_code if classification else None,
            "tier1": classification.tier1 if classification else None,
            "tierPath": list(classification.tier_path) if classification else [],
            "segmentType": classification.segment_type if classification else None,
            "confidence": classification.confidence if classification else None,
            "engineVersion": classification.engine_version if classification else None,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "lastSeenAt": self.last_seen_at,
        }


# The bounds of a topic's fields: POST /api/topics refuses more, and a synced item's fields are cut to
# them (field_mapping.py). Audience sizes: more identifiers than any platform has.
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 1000  # description, category, taxonomy_path
MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 100
MAX_AUDIENCE_SIZE = 10**12


@dataclass(frozen=True)
class TopicQuery:
    """One read of the library, newest first: the filters (``search`` normalised), where to start
    (below the topic ``after``, or after ``skip`` matches) and how many topics to return."""

    source: TopicSource | None
    connection_id: str | None
    iab_code: str | None
    search: str | None
    after: str | None
    skip: int
    limit: int

    @property
    def filtered(self) -> bool:
        return any(value is not None for value in (self.source, self.connection_id, self.iab_code, self.search))


@dataclass(frozen=True)
class TopicListing:
    """A page of topics; ``next_after`` is where the next page starts (None: this was the last), and
    ``total`` the library's size where the store keeps it (unfiltered listings), else None."""

    topics: list[Topic]
    next_after: str | None
    total: int | None
