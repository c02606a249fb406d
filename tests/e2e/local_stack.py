"""Start and stop the whole local stack (``python -m local.cli serve``) in a subprocess, and the
helpers end-to-end tests use against it. The fixtures are in conftest.py.

While ``responses_checked_against_openapi()`` is active (every e2e test, see conftest.py), each httpx
answer from a local stack's API is checked against openapi.yaml (tests/support/openapi_contract.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from local import dev_keys
from local.dev_stack import TABLE_NAME
from tests.support.openapi_contract import check_response

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60
ALL_SCOPES = "sync,activations,topics:read,topics:write"
# Base URLs of the stacks started in this process: their answers are the API's; other 127.0.0.1
# servers (the platform fakes) are not.
_API_BASE_URLS: set[str] = set()


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique_org(prefix: str = "org_e2e") -> str:
    """An organisation id no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for an API key or session token."""
    return {"Authorization": f"Bearer {token}"}


class LocalStack:
    """A running dev stack: its URLs, the printed credentials, and factories for more credentials."""

    def __init__(self, api_port: int, moto_port: int, dev_directory: Path, log_path: Path, banner: str) -> None:
        self.api_port = api_port
        self.moto_port = moto_port
        self.base_url = f"http://127.0.0.1:{api_port}"
        _API_BASE_URLS.add(self.base_url)
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        self.dev_directory = dev_directory
        self.log_path = log_path
        self.dev_api_key = _banner_value(banner, "API key")
        self.dev_session_token = _banner_value(banner, "Session token")
        self._signing_key = dev_keys.signing_key(dev_directory)
        self._api_keys: Any = None

    def cli_environment(self) -> dict[str, str]:
        """Environment for running ``python -m local.cli ...`` against this stack."""
        return os.environ | {
            "PORT": str(self.api_port),
            "MOTO_PORT": str(self.moto_port),
            "CONNECTIONS_DEV_DIR": str(self.dev_directory),
            "PYTHONUNBUFFERED": "1",
        }

    def session_token(
        self, org_id: str, user_id: str = "user_e2e", role: str = "admin", ttl_seconds: int = 3600
    ) -> str:
        """A session JWT the stack's authorizer accepts (role ``admin``, ``member``, ``viewer``...)."""
        return self._signing_key.token(org_id, user_id, role, ttl_seconds)

    def api_key(self, org_id: str, scopes: str = ALL_SCOPES, name: str = "e2e", expires_at: str | None = None) -> str:
        """A new API key stored in the stack's table (``expires_at`` an API timestamp, may be past)."""
        from connections.adapters.dynamodb.api_key_repository import DynamoApiKeyRepository
        from connections.domain.api_key_service import ApiKeyService

        if self._api_keys is None:
            client = boto3.client(
                "dynamodb",
                endpoint_url=self.moto_url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            self._api_keys = ApiKeyService(DynamoApiKeyRepository(TABLE_NAME, client))
        plaintext, _record = self._api_keys.issue(org_id, name, scopes, expires_at)
        return plaintext

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's combined stdout/stderr, for failure messages."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def trigger_sync(self, org_id: str, connection_id: str, wait_seconds: float | None = 120.0) -> dict[str, Any]:
        """``connections-dev trigger-sync``: the connection's scheduled sync now, processed by the stack's
        page workers; with ``wait_seconds``, the printed result carries the finished run as ``run``."""
        command = [sys.executable, "-m", "local.cli", "trigger-sync", connection_id, "--org", org_id]
        if wait_seconds is not None:
            command += ["--wait", "--timeout", str(wait_seconds)]
        completed = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env=self.cli_environment(),
            capture_output=True,
            text=True,
            timeout=(wait_seconds or 0) + 60,
            check=False,
        )
        if completed.returncode != 0:
            raise AssertionError(f"trigger-sync failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
        return dict(json.loads(completed.stdout))


@contextmanager
def responses_checked_against_openapi() -> Iterator[None]:
    """Check every httpx answer from a local stack's API against openapi.yaml while active: module
    calls (``httpx.get``) and clients alike go through ``httpx.Client.send``."""
    send = httpx.Client.send

    def checked_send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = send(client, request, **kwargs)
        origin = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        # A streamed body is not read here; no e2e test streams one.
        if origin in _API_BASE_URLS and not kwargs.get("stream"):
            check_response(request.method, request.url.path, response.status_code, response.headers, response.content)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx.Client, "send", checked_send)
        yield


def _banner_value(banner: str, label: str) -> str:
    found = re.search(rf"^\s*{re.escape(label)}:\s+(\S+)\s*$", banner, re.MULTILINE)
    if not found:
        raise AssertionError(f"the server printed no {label!r}")
    return found.group(1)


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local server exited with {process.returncode}:\n{log_path.read_text()}")
        output = log_path.read_text(errors="replace")
        if "Session token:" in output:
            try:
                if httpx.get(f"{base_url}/openapi.json", timeout=2).status_code == 200:
                    return output
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"local server not ready after {STARTUP_TIMEOUT_SECONDS} s:\n{log_path.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole process group, SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def start_local_stack(
    directory: Path, extra_environment: dict[str, str] | None = None
) -> tuple[LocalStack, subprocess.Popen[bytes]]:
    """The stack on free ports with its state under ``directory``, once it answers; stop it with ``stop``.
    ``extra_environment`` is added to the server's environment (e.g. ``LOCAL_SCHEDULER_TICK_SECONDS``)."""
    api_port, moto_port = free_port(), free_port()
    log_path = directory / "server.log"
    environment = (
        os.environ
        | (extra_environment or {})
        | {
            "PORT": str(api_port),
            "MOTO_PORT": str(moto_port),
            "CONNECTIONS_DEV_DIR": str(directory),
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log_path.open("wb") as log:
        # A session of its own: the process group is what stop() signals, children included.
        process = subprocess.Popen(
            [sys.executable, "-m", "local.cli", "serve"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        banner = _wait_until_ready(process, f"http://127.0.0.1:{api_port}", log_path)
    except BaseException:
        stop(process)
        raise
    return LocalStack(api_port, moto_port, directory, log_path, banner), process
