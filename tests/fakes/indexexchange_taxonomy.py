"""Index Exchange's side of taxonomy-file delivery: an S3 bucket (moto) and a strict reader of what
lands in it, as Index documents the files (sources at the top of adapters/platforms/indexexchange.py).

``TaxonomyInbox.registered()`` reads every file under the prefix and registers its segments only if
the whole file keeps every rule; a file that breaks one is listed in ``refusals`` with the rule, and
registers nothing:

- at most 30,000 bytes, UTF-8, valid JSON;
- an object of exactly ``version`` (the string "2.0") and ``segments`` (a non-empty list);
- each segment an object of exactly ``externalSegmentID`` and ``externalSegmentName``, strings of
  1 to 255 characters (fields past these two are not documented, so the reader refuses them);
- no ``externalSegmentID`` twice in one file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

MAX_FILE_BYTES = 30_000
MAX_FIELD_CHARACTERS = 255
ENTRY_FIELDS = frozenset({"externalSegmentID", "externalSegmentName"})


def taxonomy_problem(document: bytes) -> str | None:
    """The first documented rule the taxonomy file ``document`` breaks, or None when it keeps them all."""
    if len(document) > MAX_FILE_BYTES:
        return f"file is {len(document)} bytes, over {MAX_FILE_BYTES}"
    try:
        parsed: Any = json.loads(document.decode("utf-8"))
    except UnicodeDecodeError:
        return "file is not UTF-8"
    except ValueError:
        return "file is not valid JSON"
    if not isinstance(parsed, dict) or set(parsed) != {"version", "segments"}:
        return "file must be an object of version and segments"
    if parsed["version"] != "2.0":
        return 'version must be "2.0"'
    segments = parsed["segments"]
    if not isinstance(segments, list) or not segments:
        return "segments must be a non-empty list"
    seen: set[str] = set()
    for entry in segments:
        if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
            return "each segment must hold exactly externalSegmentID and externalSegmentName"
        for name in sorted(ENTRY_FIELDS):
            value = entry[name]
            if not isinstance(value, str) or not 1 <= len(value) <= MAX_FIELD_CHARACTERS:
                return f"{name} must be a string of 1 to {MAX_FIELD_CHARACTERS} characters"
        if entry["externalSegmentID"] in seen:
            return f"externalSegmentID {entry['externalSegmentID']} appears twice"
        seen.add(entry["externalSegmentID"])
    return None


@dataclass
class TaxonomyInbox:
    """The data partner's bucket that Index reads taxonomy files from (created on construction)."""

    bucket: str = "ix-taxonomy-inbox"
    prefix: str = "taxonomy/"
    endpoint_url: str | None = None  # a moto server (end-to-end tests); None: moto's in-process mock
    refusals: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=self.endpoint_url)
        self._s3.create_bucket(Bucket=self.bucket)

    def config(self) -> dict[str, Any]:
        return {"delivery": "s3", "s3_bucket": self.bucket, "s3_prefix": self.prefix}

    def files(self) -> dict[str, bytes]:
        """Every object under the prefix, by key."""
        listed = self._s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix).get("Contents", [])
        return {item["Key"]: self._s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read() for item in listed}

    def put(self, key: str, document: bytes) -> None:
        """Drop a file into the inbox as a data partner would (tests of the reader's rules)."""
        self._s3.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=document)

    def registered(self) -> dict[str, str]:
        """externalSegmentID -> externalSegmentName of every segment in a file that keeps the rules."""
        self.refusals.clear()
        segments: dict[str, str] = {}
        for key, document in sorted(self.files().items()):
            problem = taxonomy_problem(document)
            if problem:
                self.refusals[key] = problem
                continue
            for entry in json.loads(document)["segments"]:
                segments[entry["externalSegmentID"]] = entry["externalSegmentName"]
        return segments
