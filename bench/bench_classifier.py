"""Throughput of the rule-based IAB classifier on sync-sized pages, and its cold start.

Items are generated from the labelled segment set with the variations real catalogues show (vendor
prefixes, suffixes, case, separators, descriptions), so pages are realistic and every item is distinct.

Run: ``.venv/bin/python bench/bench_classifier.py`` (prints a markdown section); ``run()`` returns it.
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "shared"
if str(LAYER) not in sys.path:
    sys.path.insert(0, str(LAYER))

from connections.adapters.classifier import taxonomy as taxonomy_module  # noqa: E402
from connections.adapters.classifier.rule_based import RuleBasedClassifier  # noqa: E402
from connections.domain.classification import ClassifiableItem  # noqa: E402

LABELLED_SET = ROOT / "tests" / "unit" / "data" / "labelled_segments.csv"
PAGE_SIZES = (100, 1_000)
PAGES_PER_SIZE = 5
SEED = 20260301

_PREFIXES = ("", "", "ACME - ", "DataCo: ", "[Bluefin] ", "Quanta | ", "XYZ_", "US - ")
_SUFFIXES = ("", "", " (US)", " - Q3", " v2", " | Modeled", " - Lookalike", " 2026")
_DESCRIPTIONS = (
    None,
    None,
    "Modeled audience built from offline purchase data and online behaviour.",
    "Consumers who showed repeated interest in the last 30 days.",
    "Households identified through survey and transaction signals.",
)


def _base_items() -> list[ClassifiableItem]:
    with LABELLED_SET.open(newline="", encoding="utf-8") as handle:
        return [
            ClassifiableItem(
                name=row["segment"],
                description=row["description"] or None,
                category=row["category"] or None,
                taxonomy_path=row["taxonomy_path"] or None,
            )
            for row in csv.DictReader(handle)
        ]


def generate_page(size: int, rng: random.Random, base: list[ClassifiableItem]) -> list[ClassifiableItem]:
    """``size`` distinct items: labelled segments with vendor prefixes, suffixes, case and separator changes."""
    page = []
    for position in range(size):
        item = rng.choice(base)
        name = f"{rng.choice(_PREFIXES)}{item.name}{rng.choice(_SUFFIXES)} #{position}"
        style = rng.random()
        if style < 0.15:
            name = name.upper()
        elif style < 0.3:
            name = name.lower()
        elif style < 0.4:
            name = name.replace(" > ", " | ")
        page.append(
            ClassifiableItem(
                name=name,
                description=item.description or rng.choice(_DESCRIPTIONS),
                keywords=tuple(rng.sample(item.name.split(), k=min(2, len(item.name.split())))),
                category=item.category,
                taxonomy_path=item.taxonomy_path,
            )
        )
    return page


def _cold_start_in_fresh_process() -> float:
    """Seconds for import + taxonomy load + index build + first item, in a new interpreter."""
    code = (
        "import time; start = time.perf_counter()\n"
        "from connections.adapters.classifier.rule_based import RuleBasedClassifier\n"
        "from connections.domain.classification import ClassifiableItem\n"
        "RuleBasedClassifier().classify(ClassifiableItem('Golf Enthusiasts'))\n"
        "print(time.perf_counter() - start)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(LAYER)}
    ).stdout
    return float(output.strip())


def run() -> str:
    """Measure and return the markdown section."""
    taxonomy_module.load_taxonomy.cache_clear()
    started = time.perf_counter()
    taxonomy = taxonomy_module.load_taxonomy()
    parse_seconds = time.perf_counter() - started

    started = time.perf_counter()
    classifier = RuleBasedClassifier(taxonomy)
    classifier.warm_up()
    build_seconds = time.perf_counter() - started
    cold_process_seconds = statistics.median(_cold_start_in_fresh_process() for _ in range(3))

    rng = random.Random(SEED)
    base = _base_items()
    rows = []
    for size in PAGE_SIZES:
        wall: list[float] = []
        cpu: list[float] = []
        classified = 0
        for _ in range(PAGES_PER_SIZE):
            page = generate_page(size, rng, base)
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            results = classifier.classify_many(page)
            cpu.append(time.process_time() - cpu_start)
            wall.append(time.perf_counter() - wall_start)
            classified += sum(result is not None for result in results)
        median_wall, median_cpu = statistics.median(wall), statistics.median(cpu)
        rows.append(
            f"| {size:,} | {PAGES_PER_SIZE} | {median_wall * 1000:.1f} | {max(wall) * 1000:.1f} "
            f"| {median_cpu * 1000:.1f} | {size / median_wall:,.0f} | {median_wall * 1e6 / size:.1f} "
            f"| {classified / (size * PAGES_PER_SIZE):.1%} |"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    return "\n".join(
        [
            "## Classifier (rule-based, IAB Audience Taxonomy 1.1)",
            "",
            f"Engine `{classifier.engine_version}`, {len(taxonomy):,} taxonomy nodes, Python "
            f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, 1-minute load average {load:.1f} when measured "
            "(wall time suffers on a busy machine; CPU time less so). Items generated from the labelled "
            "segment set with vendor prefixes, suffixes, case and separator variations; every item distinct.",
            "",
            "| Cold start | ms |",
            "|---|---:|",
            f"| Parse packaged taxonomy TSV | {parse_seconds * 1000:.1f} |",
            f"| Build index and rules (first use) | {build_seconds * 1000:.1f} |",
            f"| Fresh process: import + load + build + first item (median of 3) | {cold_process_seconds * 1000:.1f} |",
            "",
            "| Page size | Pages | Median wall ms/page | Max wall ms/page | Median CPU ms/page | Items/s (wall) "
            "| Wall ms per 1,000 items | Classified |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
