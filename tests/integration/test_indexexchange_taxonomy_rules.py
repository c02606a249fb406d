"""The strict taxonomy-file reader refuses every file that breaks a documented rule (one case per
rule), and the adapter's files keep them all, split at 30 kB."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from connections.adapters.platforms.indexexchange import MAX_FILE_BYTES, taxonomy_files
from tests.fakes.indexexchange_taxonomy import TaxonomyInbox, taxonomy_problem

ENTRY = {"externalSegmentID": "ot_01", "externalSegmentName": "Auto Intenders"}


def document(**changes: Any) -> bytes:
    return json.dumps({"version": "2.0", "segments": [ENTRY]} | changes).encode()


@pytest.fixture
def inbox() -> Iterator[TaxonomyInbox]:
    with mock_aws():
        yield TaxonomyInbox()


def test_a_valid_file_registers_its_segments(inbox: TaxonomyInbox) -> None:
    inbox.put("good.json", document())
    assert inbox.registered() == {"ot_01": "Auto Intenders"}
    assert inbox.refusals == {}


@pytest.mark.parametrize(
    ("file", "words"),
    [
        (b"{not json", "not valid JSON"),
        ("é".encode("latin-1"), "not UTF-8"),
        (json.dumps([ENTRY]).encode(), "object of version and segments"),
        (json.dumps({"segments": [ENTRY]}).encode(), "object of version and segments"),
        (document(extra=1), "object of version and segments"),
        (document(version="1.0"), 'version must be "2.0"'),
        (document(version=2.0), 'version must be "2.0"'),
        (document(segments=[]), "non-empty list"),
        (document(segments={"a": ENTRY}), "non-empty list"),
        (document(segments=[{"externalSegmentID": "ot_01"}]), "exactly externalSegmentID and externalSegmentName"),
        (document(segments=[ENTRY | {"status": "Paused"}]), "exactly externalSegmentID and externalSegmentName"),
        (document(segments=[ENTRY | {"externalSegmentID": ""}]), "externalSegmentID must be a string of 1 to 255"),
        (document(segments=[ENTRY | {"externalSegmentID": 7}]), "externalSegmentID must be a string of 1 to 255"),
        (document(segments=[ENTRY | {"externalSegmentName": "n" * 256}]), "externalSegmentName must be a string"),
        (document(segments=[ENTRY, ENTRY]), "appears twice"),
        (document(segments=[ENTRY | {"externalSegmentID": f"ot_{n}"} for n in range(600)]), "over 30000"),
    ],
)
def test_a_file_breaking_a_rule_registers_nothing(inbox: TaxonomyInbox, file: bytes, words: str) -> None:
    inbox.put("bad.json", file)
    assert inbox.registered() == {}
    assert words in inbox.refusals["taxonomy/bad.json"]


def test_255_characters_of_any_script_are_within_the_limit() -> None:
    longest = {"externalSegmentID": "é" * 255, "externalSegmentName": "名" * 255}
    assert taxonomy_problem(document(segments=[longest])) is None
    assert taxonomy_problem(document(segments=[longest | {"externalSegmentName": "名" * 256}])) is not None


def test_taxonomy_files_split_at_30_kb_and_keep_every_entry_in_order() -> None:
    entries = [{"externalSegmentID": f"ot_{n:04d}", "externalSegmentName": "名" * 255} for n in range(200)]

    files = taxonomy_files(entries)

    assert len(files) > 1
    assert all(len(file) <= MAX_FILE_BYTES and taxonomy_problem(file) is None for file in files)
    assert [entry for file in files for entry in json.loads(file)["segments"]] == entries
    # filled: each file but the last would overflow with the next file's first entry
    for file, following in itertools.pairwise(files):
        first = json.loads(following)["segments"][0]
        grown = json.loads(file)["segments"] + [first]
        assert len(json.dumps({"version": "2.0", "segments": grown}, ensure_ascii=False).encode()) > MAX_FILE_BYTES
