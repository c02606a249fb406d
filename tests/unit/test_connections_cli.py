"""The ``connections`` CLI against an in-process fake of the API (httpx MockTransport): a sync driven to
the end with its counts and progress, --json parsed, Retry-After honoured, exit codes 2 and 3."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connections_cli import app as cli
from connections_cli.client import Api


class FakeApi:
    """A sync run of three pages of 100 items; the first page call answers 429 once."""

    def __init__(self) -> None:
        self.pages_done = 0
        self.calls: list[str] = []
        self.throttled = False
        self.sleeps: list[float] = []

    def status(self) -> dict[str, Any]:
        done = self.pages_done
        return {
            "runId": "run_1",
            "status": "completed" if done == 3 else "running",
            "processedPages": done,
            "totalPages": 3,
            "totalItems": 300,
            "successCount": 90 * done,
            "duplicateCount": 8 * done,
            "errorCount": 2 * done,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        if request.headers.get("Authorization") != "Bearer good":
            return httpx.Response(401, json={"error": "Unauthorized"})
        path = request.url.path
        if path.endswith("/sync/run") and request.method == "POST":
            return httpx.Response(200, json={"runId": "run_1", "totalItems": 300, "totalPages": 3, "status": "running"})
        if path.endswith("/page"):
            if not self.throttled:
                self.throttled = True
                return httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "Too many requests"})
            self.pages_done += 1
            return httpx.Response(200, json={"page": self.pages_done, "run": self.status()})
        if path.endswith("/status"):
            return httpx.Response(200, json=self.status())
        return httpx.Response(404, json={"error": "Not found"})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    served = FakeApi()

    def api(base_url: str, token: str | None) -> Api:
        return Api(base_url, token, transport=httpx.MockTransport(served.handle), sleep=served.sleeps.append)

    monkeypatch.setattr(cli, "Api", api)
    return served


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["connections", "--api", "http://api.test", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
        raise SystemExit(0)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def test_sync_follow_drives_every_page_to_completion_with_exact_counts(fake, monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "--token", "good", "--json", "sync", "conn_1", "--follow")
    assert code == 0
    final = json.loads(out[out.index("{\n") :])
    assert final["status"] == "completed"
    assert (final["successCount"], final["duplicateCount"], final["errorCount"]) == (270, 24, 6)
    assert fake.calls.count("POST /api/connections/conn_1/sync/run/run_1/page") == 4  # 3 pages and one 429
    assert fake.sleeps == [2.0]  # the 429's Retry-After


def test_sync_progress_shows_pages_and_counts(fake, monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "--token", "good", "sync", "conn_1", "--follow")
    assert code == 0
    assert "3/3" in out
    assert "inserted 270 dup 24 err 6" in out


def test_a_refused_token_exits_3_with_one_line(fake, monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "--token", "bad", "get", "conn_1")
    assert code == 3
    assert err.strip() == "error: HTTP 401: Unauthorized"


def test_usage_errors_exit_2(fake, monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "--token", "good", "push", "conn_1")
    assert code == 2
    assert "Traceback" not in err


def test_missing_run_history_is_one_clear_line(fake, monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "--token", "good", "runs", "conn_1")
    assert code == 1
    assert "no run history" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unreachable_api_is_one_line(monkeypatch, capsys) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    def api(base_url: str, token: str | None) -> Api:
        return Api(base_url, token, transport=httpx.MockTransport(refused))

    monkeypatch.setattr(cli, "Api", api)
    code, _, err = run(monkeypatch, capsys, "--token", "t", "list")
    assert code == 1
    assert err.strip() == "error: Cannot reach http://api.test: ConnectError: Connection refused"


def test_ctrl_c_cancels_the_run_after_confirming(fake, monkeypatch, capsys) -> None:
    handle = fake.handle

    def interrupted(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/page") and fake.pages_done == 1:
            raise KeyboardInterrupt
        if request.url.path.endswith("/cancel"):
            fake.calls.append(f"{request.method} {request.url.path}")
            return httpx.Response(200, json={**fake.status(), "status": "cancelled"})
        return handle(request)

    fake.handle = interrupted
    asked: list[str] = []

    def confirm(text: str, default: bool) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(cli.typer, "confirm", confirm)
    code, out, _ = run(monkeypatch, capsys, "--token", "good", "--json", "sync", "conn_1", "--follow")
    assert code == 1
    assert asked == ["Cancel run run_1?"]
    assert fake.calls[-1] == "POST /api/connections/conn_1/sync/run/run_1/cancel"
    assert json.loads(out[out.index("{\n") :])["status"] == "cancelled"
