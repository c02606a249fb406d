"""An httpx transport that resolves each host once, checks every address, and connects to a checked one.

Because the connection is opened to the very address that was checked, a DNS answer that changes
between check and connect (rebinding) cannot redirect it. TLS still runs against the original host
name: httpcore passes that name to ``start_tls`` for SNI and certificate verification.

Socket timeouts are clamped to the deadline bound with ``bound_to`` for the current call, so a
connect, TLS handshake, write or read never waits past it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from ipaddress import ip_address
from typing import Any

import httpcore
import httpx

from connections.adapters.outbound.address_policy import IPAddress, TargetPolicy
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import UpstreamUnavailable

# socket.getaddrinfo-compatible: called as resolver(host, port, 0, socket.SOCK_STREAM).
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

DEFAULT_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10)

_active_deadline: ContextVar[Deadline | None] = ContextVar("outbound_deadline", default=None)


@contextmanager
def bound_to(deadline: Deadline) -> Iterator[None]:
    """Clamp every socket wait of the calls made inside the block to ``deadline``."""
    token = _active_deadline.set(deadline)
    try:
        yield
    finally:
        _active_deadline.reset(token)


def _clamped(timeout: float | None, on_expiry: type[Exception]) -> float | None:
    deadline = _active_deadline.get()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        raise on_expiry("deadline reached")
    return left if timeout is None else min(timeout, left)


def static_resolver(table: dict[str, Sequence[str]]) -> Resolver:
    """A resolver answering from ``table`` (host -> addresses) and failing for any other name."""

    def resolve(host: str, port: int, *_: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = []
        for text in table[host]:
            family = socket.AF_INET6 if ":" in text else socket.AF_INET
            answers.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (text, port)))
        return answers

    return resolve


def resolve_checked(
    host: str,
    port: int,
    *,
    policy: TargetPolicy,
    resolver: Resolver = socket.getaddrinfo,
    timeout: float | None = None,
) -> list[IPAddress]:
    """Every address of ``host``, after the policy accepted all of them (TargetNotAllowed if not)."""
    literal = policy.literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            answers = _within(timeout, lambda: resolver(host, port, 0, socket.SOCK_STREAM))
        except OSError:
            raise UpstreamUnavailable(f"Could not resolve {host}") from None
        addresses = list(dict.fromkeys(ip_address(answer[4][0]) for answer in answers))
        if not addresses:
            raise UpstreamUnavailable(f"Could not resolve {host}")
    policy.check_addresses(host, addresses)
    return addresses


def _within(timeout: float | None, call: Callable[[], Sequence[tuple[Any, ...]]]) -> Sequence[tuple[Any, ...]]:
    """Run a blocking lookup, giving up after ``timeout``: getaddrinfo itself has no timeout."""
    if timeout is None:
        return call()
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=run, name="outbound-dns", daemon=True).start()
    if not finished.wait(timeout):
        raise httpcore.ConnectTimeout("DNS lookup timed out")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class DeadlineBoundStream(httpcore.NetworkStream):
    """A network stream whose every wait is clamped to the active deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        clamped = _clamped(timeout, httpcore.ConnectTimeout)
        return DeadlineBoundStream(self._inner.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedNetworkBackend(httpcore.NetworkBackend):
    """Resolves and checks the host itself, then connects to a checked address literal."""

    def __init__(self, policy: TargetPolicy, resolver: Resolver = socket.getaddrinfo) -> None:
        self._policy = policy
        self._resolver = resolver
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_checked(
            host,
            port,
            policy=self._policy,
            resolver=self._resolver,
            timeout=_clamped(timeout, httpcore.ConnectTimeout),
        )
        failure: Exception = httpcore.ConnectError(f"could not connect to {host}")
        for address in addresses:
            try:
                stream = self._sockets.connect_tcp(
                    str(address),
                    port,
                    timeout=_clamped(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return DeadlineBoundStream(stream)
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not an outbound target")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport with the pinned network backend underneath; never uses proxies."""

    def __init__(
        self,
        policy: TargetPolicy,
        *,
        resolver: Resolver = socket.getaddrinfo,
        verify: Any = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        # HTTPTransport takes no network backend, so its pool is rebuilt around ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedNetworkBackend(policy, resolver),
        )
