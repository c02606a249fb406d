"""The local HTTP front of the API: every request goes through ``ApiGateway`` (authorizer, then the
route's function), with the HTTP API's CORS handling and payload limit. It also serves the OpenAPI
document at ``/openapi.json`` and the local session-signing JWKS."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import yaml

from local.api_gateway import ApiGateway, GatewayResponse
from local.dev_stack import JWKS_PATH
from local.http_api_cors import CorsPolicy
from local.sam_template import PROJECT_ROOT

OPENAPI_PATH = PROJECT_ROOT / "openapi.yaml"
# API Gateway HTTP APIs refuse request bodies over 10 MB before any authorizer or function runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_JSON = "application/json"


def _message(status: int, message: str) -> GatewayResponse:
    """A response in API Gateway's own format (not the API's), as the gateway itself would send it."""
    return GatewayResponse(status, {"content-type": _JSON}, json.dumps({"message": message}).encode())


def openapi_json() -> bytes:
    """openapi.yaml as JSON."""
    with OPENAPI_PATH.open() as handle:
        return json.dumps(yaml.safe_load(handle)).encode()


class PayloadTooLarge(Exception):
    pass


class LocalApiServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 (Lambda runs concurrent requests in parallel too)."""

    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when clients open many at once.
    request_queue_size = 128

    def __init__(
        self,
        port: int,
        gateway: ApiGateway,
        cors: CorsPolicy | None,
        jwks: Mapping[str, object],
        host: str = "127.0.0.1",
    ) -> None:
        self.gateway = gateway
        self.cors = cors
        self.static_routes = {"/openapi.json": openapi_json(), JWKS_PATH: json.dumps(jwks).encode()}
        super().__init__((host, port), _ApiRequestHandler)


class _ApiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalApiServer

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            body = self._read_body()
        except PayloadTooLarge:
            self.close_connection = True
            self._send(_message(413, "Request Entity Too Large"))
            return
        response = self._answer(url.path, url.query, headers, body)
        cors = self.server.cors
        if cors is not None and not self._gateway_answers_preflight(url.path, headers):
            response.headers = cors.apply(headers, response.headers, preflight=cors.is_preflight(self.command, headers))
        self._send(response)

    def _gateway_answers_preflight(self, path: str, headers: dict[str, str]) -> bool:
        # API Gateway answers a preflight itself only where no route of the path takes OPTIONS (an
        # OPTIONS or ANY route); otherwise the preflight goes through the authorizer to that function.
        cors = self.server.cors
        return (
            cors is not None
            and cors.is_preflight(self.command, headers)
            and self.server.gateway.match("OPTIONS", path) is None
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, made-up ones) goes to the gateway too, which answers an
        # unmatched method like API Gateway's HTTP API: 404 {"message":"Not Found"}, not an HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _answer(self, path: str, query: str, headers: dict[str, str], body: bytes) -> GatewayResponse:
        cors = self.server.cors
        if cors is not None and self._gateway_answers_preflight(path, headers):
            return GatewayResponse(204, cors.preflight_headers(headers), b"")
        if self.command == "GET" and path in self.server.static_routes:
            return GatewayResponse(200, {"content-type": _JSON}, self.server.static_routes[path])
        try:
            return self.server.gateway.handle(self.command, path, query, headers, body)
        except Exception:
            # A function that raises is a 500 from the gateway; the traceback goes to the console.
            traceback.print_exc(file=sys.stderr)
            return _message(500, "Internal Server Error")

    def handle_expect_100(self) -> bool:
        """Refuse an announced oversized body before the client sends it."""
        if int(self.headers.get("content-length") or 0) > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            self._send(_message(413, "Request Entity Too Large"))
            return False
        return super().handle_expect_100()

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return bytes(body)
            if len(body) + size > MAX_PAYLOAD_BYTES:
                raise PayloadTooLarge
            body += self.rfile.read(size)
            self.rfile.readline()

    def _send(self, response: GatewayResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        for cookie in response.cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(response.body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
