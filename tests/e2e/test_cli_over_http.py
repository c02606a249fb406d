"""The ``connections`` CLI against the local stack: a sync driven with --follow to completion against a
fake segment catalogue (exact counts, the progress bar captured), --json parsed, keys create/list/revoke,
exit codes 2 and 3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connections_cli import app as cli
from tests.e2e.local_stack import LocalStack, bearer, unique_org
from tests.fakes.http_server import FakeHttpServer
from tests.fakes.platforms import custom_api_fake
from tests.fakes.segment_catalogue import CATALOGUE_CREDENTIALS, CATALOGUE_PATH, SegmentCatalogue, catalogue_items

pytestmark = pytest.mark.e2e


def connections(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stack: LocalStack, token: str, *args: str
) -> tuple[int, str, str]:
    """Run the console script in this process; its exit code, stdout and stderr."""
    monkeypatch.setattr("sys.argv", ["connections", "--api", stack.base_url, "--token", token, *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def served_catalogue() -> Iterator[tuple[SegmentCatalogue, dict[str, int]]]:
    items, expected = catalogue_items(250, duplicate_every=10, bad_every=25)
    with FakeHttpServer() as server:
        served = SegmentCatalogue(server, items)
        server.route("GET", CATALOGUE_PATH, served.answer)
        yield served, expected


def _create_inbound(stack: LocalStack, token: str, served: SegmentCatalogue) -> str:
    body: dict[str, Any] = {
        "name": "Seller catalogue",
        "platform": "custom_api",
        "direction": "inbound",
        "config": served.config(page_size=100),
        "credentials": CATALOGUE_CREDENTIALS,
    }
    response = httpx.post(f"{stack.base_url}/api/connections", json=body, headers=bearer(token), timeout=60)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_sync_follow_runs_to_completion_with_exact_counts(local_stack, served_catalogue, monkeypatch, capsys) -> None:
    served, expected = served_catalogue
    token = local_stack.session_token(unique_org())
    connection_id = _create_inbound(local_stack, token, served)

    code, out, err = connections(monkeypatch, capsys, local_stack, token, "sync", connection_id, "--follow")
    assert code == 0, err
    assert "3/3" in out  # the progress bar's pages
    inserted = f"inserted {expected['unique']} dup {expected['duplicates']} err {expected['errors']}"
    assert inserted in out

    code, out, _ = connections(monkeypatch, capsys, local_stack, token, "--json", "get", connection_id)
    assert code == 0
    assert json.loads(out)["id"] == connection_id


def test_keys_create_list_revoke(local_stack, monkeypatch, capsys) -> None:
    token = local_stack.session_token(unique_org())
    code, out, err = connections(
        monkeypatch,
        capsys,
        local_stack,
        token,
        "--json",
        "keys",
        "create",
        "--name",
        "ci",
        "--scopes",
        "sync,topics:read",
    )
    assert code == 0, err
    created = json.loads(out)
    code, out, _ = connections(monkeypatch, capsys, local_stack, token, "--json", "keys", "list")
    assert code == 0
    assert [key["id"] for key in json.loads(out)] == [created["id"]]
    code, out, _ = connections(monkeypatch, capsys, local_stack, token, "--json", "keys", "revoke", created["id"])
    assert code == 0
    assert json.loads(out)["revokedAt"]


@pytest.mark.outside_contract("the refused token's 401 is what is checked")
def test_a_bad_token_exits_3_and_usage_exits_2(local_stack, monkeypatch, capsys) -> None:
    code, _, err = connections(monkeypatch, capsys, local_stack, "not-a-token", "list")
    assert code == 3
    assert err.startswith("error: HTTP 401") and len(err.strip().splitlines()) == 1
    code, _, err = connections(monkeypatch, capsys, local_stack, "not-a-token", "push", "conn_x")
    assert code == 2


def test_push_follow_pushes_every_topic(local_stack, monkeypatch, capsys) -> None:
    token = local_stack.session_token(unique_org())
    api = httpx.Client(base_url=local_stack.base_url, headers=bearer(token), timeout=60)
    tag = unique_org("t")[-6:]
    topic_ids = []
    for number in range(30):
        response = api.post("/api/topics", json={"topic_name": f"Luxury Shoppers {tag} {number}"})
        assert response.status_code == 201, response.text
        topic_ids.append(response.json()["id"])
    with custom_api_fake() as fake:
        body = {
            "name": "custom out",
            "platform": "custom_api",
            "direction": "outbound",
            "config": fake.outbound_config(),
            "credentials": fake.credentials,
        }
        response = api.post("/api/connections", json=body)
        assert response.status_code == 201, response.text
        connection_id = response.json()["id"]
        topics = [argument for topic_id in topic_ids for argument in ("--topics", topic_id)]
        code, out, err = connections(
            monkeypatch, capsys, local_stack, token, "--json", "push", connection_id, *topics, "--follow"
        )
    api.close()
    assert code == 0, err
    final = json.loads(out[out.index("{\n") :])
    assert (final["status"], final["successCount"], final["errorCount"]) == ("completed", 30, 0)
    assert "batches 2/2" in out
