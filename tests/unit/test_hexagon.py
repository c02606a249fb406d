"""The hexagon is enforced by lint: domain/ may not import AWS, HTTP, Powertools, adapters or the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILE = "layers/shared/connections/domain/probe.py"


def banned_in(source: str, filename: str) -> list[str]:
    """The TID251 findings ruff reports for ``source`` as if it were ``filename`` in the project."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "TID251",
            "--output-format",
            "concise",
            "--stdin-filename",
            filename,
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return [line for line in completed.stdout.splitlines() if "TID251" in line]


@pytest.mark.parametrize(
    "source",
    [
        "import boto3\n",
        "from botocore.exceptions import ClientError\n",
        "import httpx\n",
        "from aws_lambda_powertools import Logger\n",
        "import os\nTABLE = os.environ['TABLE_NAME']\n",
        "from os import getenv\n",
        "from connections.adapters.dynamodb.keys import connection_key\n",
        "from connections.http.resolver import build_resolver\n",
    ],
)
def test_domain_may_not_import_infrastructure(source: str) -> None:
    assert banned_in(source, DOMAIN_FILE)


@pytest.mark.parametrize(
    "filename", ["layers/shared/connections/adapters/dynamodb/probe.py", "local/probe.py", "functions/x/app.py"]
)
def test_the_rule_applies_to_domain_only(filename: str) -> None:
    assert banned_in("import boto3\nimport os\nA = os.environ['A']\n", filename) == []


def test_the_domain_as_it_is_passes() -> None:
    sources = sorted((ROOT / "layers/shared/connections/domain").glob("*.py"))
    assert sources
    for path in sources:
        assert banned_in(path.read_text(), str(path.relative_to(ROOT))) == [], path.name
