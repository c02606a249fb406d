"""A small HTTP server on 127.0.0.1 that platform fakes build on.

Routes answer per (method, path) (``{name}`` segments match one path segment), every request is
logged, and each route has a queue of faults served before its normal answer: error statuses with
``Retry-After``, malformed JSON, raw bytes, oversized or never-ending bodies, hangs and delays.

    with FakeHttpServer() as server:
        server.route("GET", "/v1/items", FakeResponse.json({"items": []}))
        server.faults("GET", "/v1/items").status(503).status(429, retry_after=1)
        ... call f"{server.url}/v1/items" ...
        assert server.count("GET", "/v1/items") == 3
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qs, urlsplit

_WRITE_BLOCK = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; header names are lower-case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    route: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class FakeResponse:
    """What a route answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> FakeResponse:
        """A JSON response."""
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


@dataclass(frozen=True)
class LocalTls:
    """A throwaway CA and a certificate for some host names: a server context presenting the
    certificate and a client context trusting only that CA."""

    server_context: ssl.SSLContext
    client_context: ssl.SSLContext

    @classmethod
    def for_hosts(cls, *hostnames: str) -> LocalTls:
        """Issue a one-day certificate whose subject alternative names are ``hostnames``."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        def named(text: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

        now = datetime.now(UTC)
        ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (
            x509.CertificateBuilder()
            .subject_name(named("fake test CA"))
            .issuer_name(named("fake test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(ca_ski, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        leaf = (
            x509.CertificateBuilder()
            .subject_name(named(hostnames[0]))
            .issuer_name(ca.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        key_pem = leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with TemporaryDirectory() as folder:
            chain, key = Path(folder, "chain.pem"), Path(folder, "key.pem")
            chain.write_bytes(leaf.public_bytes(pem))
            key.write_bytes(key_pem)
            server_context.load_cert_chain(chain, key)
        client_context = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
        return cls(server_context, client_context)


def _key_usage(*, cert_sign: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


Handler = Callable[[RecordedRequest], FakeResponse]
# A fault writes the whole exchange itself; it gets the connection and the route's normal answer.
Fault = Callable[["_RequestHandler", Callable[[], FakeResponse]], None]


class FaultQueue:
    """Faults served, one per request and in order, before a route's normal answer."""

    def __init__(self, stopping: threading.Event) -> None:
        self._faults: deque[Fault] = deque()
        self._stopping = stopping
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._faults)

    def _add(self, fault: Fault) -> FaultQueue:
        with self._lock:
            self._faults.append(fault)
        return self

    def _next(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def status(self, code: int, body: Any = None, retry_after: float | str | None = None) -> FaultQueue:
        """Answer ``code``; ``body`` may be bytes, str or JSON-able (default ``{"error": ...}``)."""
        headers = {} if retry_after is None else {"Retry-After": _retry_after_text(retry_after)}
        if body is None:
            response = FakeResponse.json({"error": f"HTTP {code}"}, code, headers)
        elif isinstance(body, bytes | str):
            raw = body.encode() if isinstance(body, str) else body
            response = FakeResponse(code, raw, {"Content-Type": "text/plain", **headers})
        else:
            response = FakeResponse.json(body, code, headers)
        return self._add(lambda conn, _normal: conn.send(response))

    def raw(
        self, body: bytes, *, status: int = 200, content_type: str = "application/json", times: int = 1
    ) -> FaultQueue:
        """Answer ``body`` exactly as given, ``times`` times (hostile JSON: ``Infinity``, 5,000 levels deep)."""
        response = FakeResponse(status, body, {"Content-Type": content_type})
        for _ in range(times):
            self._add(lambda conn, _normal: conn.send(response))
        return self

    def malformed_json(self) -> FaultQueue:
        """Answer 200 with a JSON content type and a truncated JSON body."""
        broken = FakeResponse(200, b'{"items": [{"id": ', {"Content-Type": "application/json"})
        return self._add(lambda conn, _normal: conn.send(broken))

    def oversized(self, nbytes: int, *, declare_length: bool = True) -> FaultQueue:
        """Answer 200 with ``nbytes`` of body, with a Content-Length or (if not declared) chunked."""
        return self._add(lambda conn, _normal: conn.send_oversized(nbytes, declare_length))

    def hang(self, seconds: float = 30.0) -> FaultQueue:
        """Accept the request and never answer, until ``seconds`` pass or the server stops."""

        def hang_up(conn: _RequestHandler, _normal: Callable[[], FakeResponse]) -> None:
            self._stopping.wait(seconds)
            conn.close_connection = True

        return self._add(hang_up)

    def trickle(self, interval: float = 0.05, chunk: bytes = b" ", seconds: float = 30.0) -> FaultQueue:
        """Answer 200 and send ``chunk`` every ``interval`` seconds, never finishing the body."""
        return self._add(lambda conn, _normal: conn.send_trickle(interval, chunk, seconds, self._stopping))

    def delay(self, seconds: float) -> FaultQueue:
        """Wait ``seconds`` (less if the server stops), then give the route's normal answer."""

        def wait_then_answer(conn: _RequestHandler, normal: Callable[[], FakeResponse]) -> None:
            self._stopping.wait(seconds)
            conn.send(normal())

        return self._add(wait_then_answer)

    def redirect(self, location: str, code: int = 302) -> FaultQueue:
        """Answer a redirect to ``location``."""
        return self._add(lambda conn, _normal: conn.send(FakeResponse(code, b"", {"Location": location})))


def _retry_after_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex)


class FakeHttpServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) with routes, a request log and faults."""

    def __init__(self, tls: LocalTls | None = None) -> None:
        self._tls = tls
        self._routes: list[_Route] = []
        self._fault_queues: dict[tuple[str, str], FaultQueue] = {}
        self._log: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._open_sockets: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> FakeHttpServer:
        """Bind to 127.0.0.1 on a free port and serve in a daemon thread."""
        handler = type("BoundHandler", (_RequestHandler,), {"fake": self})
        httpd = _Server(("127.0.0.1", 0), handler)
        if self._tls is not None:
            # The handshake then happens in the handler thread, so a stalled client cannot block accept().
            httpd.socket = self._tls.server_context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung handlers and close every open connection."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            sockets = list(self._open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._httpd = None

    def __enter__(self) -> FakeHttpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return int(self._httpd.server_address[1])

    @property
    def tls(self) -> LocalTls | None:
        """The certificate material the server presents, when it speaks https."""
        return self._tls

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:<port>`` (https with TLS), without a trailing slash."""
        return self.url_for("127.0.0.1")

    def url_for(self, host: str) -> str:
        """Base URL naming ``host`` instead of 127.0.0.1 (for clients given a resolver mapping it here)."""
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}"

    # routes and faults
    def route(self, method: str, path: str, answer: Handler | FakeResponse) -> None:
        """Answer ``method path`` with a fixed response or a handler of the recorded request."""
        handler = answer if callable(answer) else (lambda _request, fixed=answer: fixed)
        with self._lock:
            self._routes.append(_Route(method.upper(), path, _compile(path), handler))

    def faults(self, method: str, path: str) -> FaultQueue:
        """The fault queue of a route (``path`` as registered, or a literal path)."""
        key = (method.upper(), path)
        with self._lock:
            if key not in self._fault_queues:
                self._fault_queues[key] = FaultQueue(self._stopping)
            return self._fault_queues[key]

    # request log
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        with self._lock:
            return list(self._log)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Requests for ``method`` whose route template or literal path is ``path``."""
        return [r for r in self.requests if r.method == method.upper() and path in (r.route, r.path)]

    def count(self, method: str, path: str) -> int:
        """How many requests ``requests_to`` finds."""
        return len(self.requests_to(method, path))

    def clear_log(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._log.clear()

    # used by the request handler
    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        with self._lock:
            routes = list(self._routes)
        for candidate in routes:
            found = candidate.pattern.fullmatch(path)
            if candidate.method == method and found:
                return candidate, found.groupdict()
        return None, {}

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _fault_for(self, method: str, route: _Route | None, path: str) -> Fault | None:
        keys = [path] if route is None else [route.template, path]
        with self._lock:
            queues = [self._fault_queues.get((method, key)) for key in keys]
        for queue in queues:
            fault = queue._next() if queue is not None else None
            if fault is not None:
                return fault
        return None

    def _track(self, sock: socket.socket, is_open: bool) -> None:
        with self._lock:
            if is_open:
                self._open_sockets.add(sock)
            else:
                self._open_sockets.discard(sock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads on close: a hung or kept-alive one would block shutdown.
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-answer is expected here; stay quiet."""


class _RequestHandler(BaseHTTPRequestHandler):
    fake: FakeHttpServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, delayed ACKs add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr log; the request log is kept on the server."""

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route, params = self.fake._match(self.command, parts.path)
        recorded = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            route=route.template if route else None,
            path_params=params,
        )
        self.fake._record(recorded)

        def normal() -> FakeResponse:
            if route is None:
                return FakeResponse.json({"error": "not found"}, 404)
            return route.handler(recorded)

        fault = self.fake._fault_for(self.command, route, parts.path)
        try:
            if fault is not None:
                fault(self, normal)
            else:
                self.send(normal())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def send(self, response: FakeResponse) -> None:
        """Write a complete response."""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def send_oversized(self, nbytes: int, declare_length: bool) -> None:
        """Write a 200 whose body is ``nbytes`` long."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if declare_length:
            self.send_header("Content-Length", str(nbytes))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        left = nbytes
        while left > 0:
            block = b"x" * min(left, _WRITE_BLOCK)
            self.wfile.write(block if declare_length else _chunk(block))
            left -= len(block)
        if not declare_length:
            self.wfile.write(b"0\r\n\r\n")

    def send_trickle(self, interval: float, chunk: bytes, seconds: float, stopping: threading.Event) -> None:
        """Write a 200 with a chunked body that keeps coming until ``seconds`` pass or the server stops."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        ends_at = time.monotonic() + seconds
        while time.monotonic() < ends_at and not stopping.is_set():
            self.wfile.write(_chunk(chunk))
            self.wfile.flush()
            stopping.wait(interval)
        self.close_connection = True


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"
