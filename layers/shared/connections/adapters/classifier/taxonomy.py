"""The IAB Audience Taxonomy 1.1, read once from the package's data file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from connections.domain.classification import PURCHASE_INTENT

TAXONOMY_FILE = "iab-audience-taxonomy-1.1.tsv"
TIER_COLUMNS = ("Tier 1", "Tier 2", "Tier 3", "Tier 4", "Tier 5", "Tier 6")


@dataclass(frozen=True, slots=True)
class TaxonomyNode:
    """One row of the taxonomy: its Unique ID, its parent's, and the tier names down to it."""

    unique_id: str
    parent_id: str | None
    tiers: tuple[str, ...]
    extension_notes: str = ""

    @property
    def tier1(self) -> str:
        return self.tiers[0]

    @property
    def name(self) -> str:
        """The node's own (deepest) tier name."""
        return self.tiers[-1]

    @property
    def depth(self) -> int:
        return len(self.tiers)

    @property
    def is_extension(self) -> bool:
        """Placeholder rows ("*Country Extension") that stand for values outside the taxonomy."""
        return self.name.startswith("*")


class Taxonomy:
    """The nodes by Unique ID and by tier path, plus each node's children."""

    def __init__(self, nodes: list[TaxonomyNode]) -> None:
        self.nodes: tuple[TaxonomyNode, ...] = tuple(nodes)
        self._by_id = {node.unique_id: node for node in nodes}
        self._by_path = {node.tiers: node for node in nodes}
        children: dict[str, list[TaxonomyNode]] = {}
        for node in nodes:
            if node.parent_id is not None:
                children.setdefault(node.parent_id, []).append(node)
        self._children = {key: tuple(value) for key, value in children.items()}

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[TaxonomyNode]:
        return iter(self.nodes)

    def get(self, unique_id: str) -> TaxonomyNode | None:
        return self._by_id.get(unique_id)

    def by_path(self, *tiers: str) -> TaxonomyNode:
        """The node at exactly this tier path; KeyError when there is none."""
        return self._by_path[tuple(tiers)]

    def children(self, unique_id: str) -> tuple[TaxonomyNode, ...]:
        return self._children.get(unique_id, ())


def parse_taxonomy(text: str) -> Taxonomy:
    """Nodes from the TSV text (header row first, tab-separated, first column blank)."""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t")
    nodes = []
    for row in reader:
        unique_id = (row.get("Unique ID") or "").strip()
        if not unique_id:
            continue
        tiers = tuple(name for name in (_clean_tier(row.get(column)) for column in TIER_COLUMNS) if name)
        if not tiers:
            continue
        # The file marks the whole Purchase Intent branch with a footnote asterisk.
        if tiers[0].rstrip("*") == PURCHASE_INTENT:
            tiers = (PURCHASE_INTENT, *tiers[1:])
        parent_id = (row.get("Parent ID") or "").strip() or None
        notes = (row.get("*Extension Notes") or "").strip()
        nodes.append(TaxonomyNode(unique_id, parent_id, tiers, notes))
    return Taxonomy(nodes)


@cache
def load_taxonomy() -> Taxonomy:
    """The packaged taxonomy, parsed on first use and shared afterwards."""
    data = resources.files(__package__).joinpath("data", TAXONOMY_FILE)
    return parse_taxonomy(data.read_text(encoding="utf-8"))


def _clean_tier(value: str | None) -> str:
    return " ".join((value or "").split())
