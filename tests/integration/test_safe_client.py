"""SafeHttpClient against real fake servers on 127.0.0.1.

Names like ``platform.test`` reach the fake only through an injected resolver, which is also how
the tests play DNS answers that must be refused. Retry waits go to a recording fake ``sleep``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpcore
import pytest

from connections.adapters.outbound.address_policy import TargetPolicy
from connections.adapters.outbound.pinned_transport import (
    DeadlineBoundStream,
    Resolver,
    bound_to,
    static_resolver,
)
from connections.adapters.outbound.retry_policy import RetryPolicy, parse_retry_after
from connections.adapters.outbound.safe_client import (
    MAX_REDIRECTS,
    OutboundResponse,
    SafeHttpClient,
    shared_client,
)
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import (
    DeadlineExceeded,
    MalformedResponse,
    ResponseTooLarge,
    TargetNotAllowed,
    TooManyRedirects,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from tests.fakes import FakeHttpServer, FakeResponse, LocalTls


class RecordingSleep:
    """Stands in for time.sleep: remembers each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as fake:
        fake.route("GET", "/items", FakeResponse.json({"items": [1, 2, 3]}))
        fake.route("POST", "/items", lambda request: FakeResponse.json({"got": request.json()}, 201))
        yield fake


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


ClientFactory = Callable[..., SafeHttpClient]


@pytest.fixture
def make_client(sleep: RecordingSleep) -> Iterator[ClientFactory]:
    """Builds clients that sleep through the recorder; closes them after the test."""
    made: list[SafeHttpClient] = []

    def build(**options: Any) -> SafeHttpClient:
        client = SafeHttpClient(**{"sleep": sleep, **options})
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def local(make_client: ClientFactory) -> SafeHttpClient:
    """A client for local development: private targets and http allowed."""
    return make_client(allow_private_targets=True)


def soon(seconds: float = 10.0) -> Deadline:
    return Deadline.after(seconds)


# --- plain calls -------------------------------------------------------------------------------


def test_get_returns_status_headers_and_json(server: FakeHttpServer, local: SafeHttpClient) -> None:
    response = local.request(
        "GET", f"{server.url}/items", deadline=soon(), params={"page": 2}, headers={"X-Trace": "t1"}
    )
    assert isinstance(response, OutboundResponse)
    assert (response.status, response.is_success) == (200, True)
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"items": [1, 2, 3]}
    (seen,) = server.requests_to("GET", "/items")
    assert seen.query == {"page": ["2"]}
    assert seen.header("x-trace") == "t1"


def test_post_sends_the_json_body(server: FakeHttpServer, local: SafeHttpClient) -> None:
    response = local.request("POST", f"{server.url}/items", deadline=soon(), json={"name": "Sports"})
    assert response.status == 201
    assert response.json() == {"got": {"name": "Sports"}}


def test_client_errors_are_returned_without_retrying(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    server.faults("GET", "/items").status(404, {"message": "no such segment"})
    response = local.request("GET", f"{server.url}/items", deadline=soon())
    assert (response.status, response.is_success) == (404, False)
    assert response.json() == {"message": "no such segment"}
    assert server.count("GET", "/items") == 1
    assert sleep.waits == []


def test_cookies_set_by_a_platform_are_never_sent_back(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.route("GET", "/login", FakeResponse(200, b"ok", {"Set-Cookie": "session=secret; Path=/"}))
    local.request("GET", f"{server.url}/login", deadline=soon())
    local.request("GET", f"{server.url}/items", deadline=soon())
    assert server.requests_to("GET", "/items")[0].header("cookie") is None


# --- retries ------------------------------------------------------------------------------------


def test_429_is_retried_after_the_retry_after_seconds(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    server.faults("GET", "/items").status(429, retry_after=2)
    response = local.request("GET", f"{server.url}/items", deadline=soon())
    assert response.json() == {"items": [1, 2, 3]}
    assert server.count("GET", "/items") == 2
    assert sleep.waits == [2.0]


def test_retry_after_as_an_http_date_is_honoured(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=4), usegmt=True)
    server.faults("GET", "/items").status(503, retry_after=later)
    local.request("GET", f"{server.url}/items", deadline=soon(30))
    (wait,) = sleep.waits
    assert 2.0 < wait <= 4.0


def test_5xx_then_success_backs_off_with_full_jitter(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    server.faults("GET", "/items").status(503).status(502)
    retry = RetryPolicy(max_attempts=3, base_delay_seconds=0.5)
    response = local.request("GET", f"{server.url}/items", deadline=soon(), retry=retry)
    assert response.status == 200
    assert server.count("GET", "/items") == 3
    first, second = sleep.waits
    assert 0.0 <= first <= 0.5
    assert 0.0 <= second <= 1.0


def test_5xx_until_attempts_run_out_raises_upstream_status_error(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    server.faults("GET", "/items").status(500).status(500).status(500).status(500)
    with pytest.raises(UpstreamStatusError) as failed:
        local.request("GET", f"{server.url}/items", deadline=soon(), retry=RetryPolicy(max_attempts=3))
    assert failed.value.status == 500
    assert b"HTTP 500" in failed.value.body
    assert str(failed.value) == "Platform returned HTTP 500"
    assert server.count("GET", "/items") == 3
    assert len(sleep.waits) == 2


def test_retry_after_beyond_the_deadline_fails_at_once_without_sleeping(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    server.faults("GET", "/items").status(429, retry_after=120)
    with pytest.raises(UpstreamStatusError) as failed:
        local.request("GET", f"{server.url}/items", deadline=soon(5))
    assert (failed.value.status, failed.value.retry_after_seconds) == (429, 120.0)
    assert server.count("GET", "/items") == 1
    assert sleep.waits == []


def test_non_idempotent_post_is_not_resent_after_a_5xx_when_told_so(
    server: FakeHttpServer, local: SafeHttpClient
) -> None:
    server.faults("POST", "/items").status(503)
    once = RetryPolicy(retry_non_idempotent=False)
    response = local.request("POST", f"{server.url}/items", deadline=soon(), json={"a": 1}, retry=once)
    assert response.status == 503
    assert server.count("POST", "/items") == 1


def test_non_idempotent_post_is_still_retried_after_a_429(
    server: FakeHttpServer, local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    server.faults("POST", "/items").status(429, retry_after=1)
    once = RetryPolicy(retry_non_idempotent=False)
    response = local.request("POST", f"{server.url}/items", deadline=soon(), json={"a": 1}, retry=once)
    assert response.status == 201
    assert server.count("POST", "/items") == 2
    assert sleep.waits == [1.0]


def test_a_refused_connection_is_retried_then_reported_unavailable(
    local: SafeHttpClient, sleep: RecordingSleep
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(UpstreamUnavailable, match=r"^Could not connect to 127\.0\.0\.1$"):
        local.request("GET", f"http://127.0.0.1:{closed_port}/", deadline=soon())
    assert len(sleep.waits) == 2


def test_a_read_timeout_shorter_than_the_deadline_is_retried(
    server: FakeHttpServer, make_client: ClientFactory
) -> None:
    server.faults("GET", "/items").hang(5)
    client = make_client(allow_private_targets=True, timeout_seconds=0.3)
    response = client.request("GET", f"{server.url}/items", deadline=soon(10))
    assert response.status == 200
    assert server.count("GET", "/items") == 2


# --- deadline, size, malformed ------------------------------------------------------------------


def test_a_never_ending_body_is_cut_at_the_deadline(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("GET", "/items").trickle(interval=0.05)
    with pytest.raises(DeadlineExceeded) as timed_out:
        local.request("GET", f"{server.url}/items", deadline=Deadline.after(1.5))
    assert str(timed_out.value) == "Connection timed out after 2 seconds"


def test_a_server_that_never_answers_is_cut_at_the_deadline(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("GET", "/items").hang(30)
    with pytest.raises(DeadlineExceeded, match="Connection timed out after 1 seconds"):
        local.request("GET", f"{server.url}/items", deadline=Deadline.after(1.0))


def test_an_expired_deadline_sends_nothing(server: FakeHttpServer, local: SafeHttpClient) -> None:
    with pytest.raises(DeadlineExceeded):
        local.request("GET", f"{server.url}/items", deadline=Deadline.after(0))
    assert server.requests == []


@pytest.mark.parametrize("declare_length", [True, False])
def test_an_oversized_body_is_refused(server: FakeHttpServer, local: SafeHttpClient, declare_length: bool) -> None:
    server.faults("GET", "/items").oversized(200_000, declare_length=declare_length)
    with pytest.raises(ResponseTooLarge, match="limit of 10000 bytes"):
        local.request("GET", f"{server.url}/items", deadline=soon(), max_bytes=10_000)


def test_a_body_at_the_limit_is_accepted(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("GET", "/items").oversized(10_000, declare_length=False)
    response = local.request("GET", f"{server.url}/items", deadline=soon(), max_bytes=10_000)
    assert len(response.content) == 10_000


def test_malformed_json_raises_malformed_response(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("GET", "/items").malformed_json()
    response = local.request("GET", f"{server.url}/items", deadline=soon())
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        response.json()


# --- redirects ----------------------------------------------------------------------------------


def mapping(*names: str) -> Resolver:
    return static_resolver({name: ["127.0.0.1"] for name in names})


def test_same_origin_redirect_is_followed_with_credentials(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("GET", "/old").redirect("/items", 301)
    response = local.request("GET", f"{server.url}/old", deadline=soon(), headers={"Authorization": "Bearer tok"})
    assert response.json() == {"items": [1, 2, 3]}
    assert response.url == f"{server.url}/items"
    assert server.requests_to("GET", "/items")[0].header("authorization") == "Bearer tok"


def test_cross_origin_redirect_drops_credentials(server: FakeHttpServer, make_client: ClientFactory) -> None:
    client = make_client(allow_private_targets=True, resolver=mapping("other.test"))
    server.faults("GET", "/old").redirect(f"{server.url_for('other.test')}/items")
    client.request(
        "GET",
        f"{server.url}/old",
        deadline=soon(),
        headers={"Authorization": "Bearer tok", "X-Api-Key": "k", "Accept": "application/json"},
    )
    (followed,) = server.requests_to("GET", "/items")
    assert followed.header("host") == f"other.test:{server.port}"
    assert followed.header("authorization") is None
    assert followed.header("x-api-key") is None
    assert followed.header("accept") == "application/json"


def test_a_body_is_never_resent_to_another_origin(server: FakeHttpServer, make_client: ClientFactory) -> None:
    client = make_client(allow_private_targets=True, resolver=mapping("other.test"))
    server.faults("POST", "/token").redirect(f"{server.url_for('other.test')}/token", 307)
    response = client.request("POST", f"{server.url}/token", deadline=soon(), data={"client_secret": "s"})
    assert response.status == 307
    assert server.count("POST", "/token") == 1


def test_307_on_the_same_origin_resends_method_and_body(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("POST", "/submit").redirect("/items", 307)
    response = local.request("POST", f"{server.url}/submit", deadline=soon(), json={"a": 1})
    assert response.json() == {"got": {"a": 1}}


def test_303_after_post_becomes_a_get_without_body(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.faults("POST", "/submit").redirect("/items", 303)
    response = local.request("POST", f"{server.url}/submit", deadline=soon(), json={"a": 1})
    assert response.status == 200
    (followed,) = server.requests_to("GET", "/items")
    assert followed.body == b""


def test_redirect_loops_stop_after_the_limit(server: FakeHttpServer, local: SafeHttpClient) -> None:
    server.route("GET", "/loop", FakeResponse(302, b"", {"Location": "/loop"}))
    with pytest.raises(TooManyRedirects):
        local.request("GET", f"{server.url}/loop", deadline=soon())
    assert server.count("GET", "/loop") == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "location",
    ["ftp://127.0.0.1/file", "http://user:pw@127.0.0.1/items", "http://127.0.0.1:0/items"],
)
def test_redirect_targets_are_checked_even_locally(
    server: FakeHttpServer, local: SafeHttpClient, location: str
) -> None:
    server.faults("GET", "/old").redirect(location)
    with pytest.raises(TargetNotAllowed):
        local.request("GET", f"{server.url}/old", deadline=soon())


# --- the address guard with private targets not allowed ------------------------------------------


def resolver_that_must_not_run(*_: Any) -> list[tuple[Any, ...]]:
    raise AssertionError("this URL must be refused before any lookup")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/",
        "https://user:pw@api.example.com/",
        "https://api.example.com:0/",
        "https://api.example.com:65536/",
        "https://127.0.0.1/",
        "https://localhost/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://0x7f000001/",
        "https://0x7f.1/",
        "https://10.0.0.1/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "file:///etc/passwd",
        "gopher://api.example.com/",
    ],
)
def test_strict_client_refuses_before_any_lookup(make_client: ClientFactory, url: str) -> None:
    client = make_client(resolver=resolver_that_must_not_run)
    with pytest.raises(TargetNotAllowed) as refused:
        client.request("GET", url, deadline=soon())
    assert "pw" not in str(refused.value)


def test_a_name_resolving_to_a_private_address_is_refused(make_client: ClientFactory) -> None:
    client = make_client(resolver=static_resolver({"platform.test": ["127.0.0.1"]}))
    with pytest.raises(TargetNotAllowed) as refused:
        client.request("GET", "https://platform.test/segments?token=secret", deadline=soon())
    assert str(refused.value) == (
        "Target address is not allowed: platform.test resolves to a private or reserved address"
    )


def test_dns_rebinding_is_refused_because_every_address_must_be_public(make_client: ClientFactory) -> None:
    lookups: list[str] = []
    answers = static_resolver({"rebind.test": ["93.184.216.34", "127.0.0.1"]})

    def resolver(host: str, port: int, *rest: Any) -> Any:
        lookups.append(host)
        return answers(host, port, *rest)

    client = make_client(resolver=resolver)
    with pytest.raises(TargetNotAllowed):
        client.request("GET", "https://rebind.test/", deadline=soon())
    assert lookups == ["rebind.test"]


def test_unresolvable_names_are_unavailable(make_client: ClientFactory) -> None:
    client = make_client(resolver=static_resolver({}))
    with pytest.raises(UpstreamUnavailable, match=r"Could not resolve nowhere\.test"):
        client.request("GET", "https://nowhere.test/", deadline=soon())


# --- pinning and TLS --------------------------------------------------------------------------


def test_the_connection_goes_to_the_checked_address_under_the_original_name(
    server: FakeHttpServer, make_client: ClientFactory
) -> None:
    lookups: list[str] = []
    answers = mapping("platform.test")

    def resolver(host: str, port: int, *rest: Any) -> Any:
        lookups.append(host)
        return answers(host, port, *rest)

    client = make_client(allow_private_targets=True, resolver=resolver)
    response = client.request("GET", f"{server.url_for('platform.test')}/items", deadline=soon())
    assert response.status == 200
    (seen,) = server.requests
    assert seen.header("host") == f"platform.test:{server.port}"
    assert lookups == ["platform.test"]  # one lookup: connect used its answer, not a second one


class TrustingOnlyTheFakePlatform(TargetPolicy):
    """The strict policy, except that the fake platform's own name may resolve to 127.0.0.1."""

    def check_addresses(self, host: str, addresses: Any) -> None:
        if host != "platform.test":
            super().check_addresses(host, addresses)


@pytest.fixture
def tls_server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer(tls=LocalTls.for_hosts("platform.test", "internal.test")) as fake:
        fake.route("GET", "/items", FakeResponse.json({"items": []}))
        yield fake


@pytest.fixture
def strict_tls_client(tls_server: FakeHttpServer, make_client: ClientFactory) -> SafeHttpClient:
    """A strict client (https only, public addresses only) that trusts just the fake platform."""
    assert tls_server.tls is not None
    return make_client(
        policy=TrustingOnlyTheFakePlatform(),
        resolver=mapping("platform.test", "internal.test"),
        verify=tls_server.tls.client_context,
    )


def test_tls_verifies_the_original_host_name_while_connected_to_the_pinned_address(
    tls_server: FakeHttpServer, strict_tls_client: SafeHttpClient
) -> None:
    client = strict_tls_client
    response = client.request("GET", f"{tls_server.url_for('platform.test')}/items", deadline=soon())
    assert response.json() == {"items": []}
    assert tls_server.requests[0].header("host") == f"platform.test:{tls_server.port}"


def test_a_certificate_for_another_name_is_refused_without_retrying(
    make_client: ClientFactory, sleep: RecordingSleep
) -> None:
    with FakeHttpServer(tls=LocalTls.for_hosts("someone-else.test")) as fake:
        assert fake.tls is not None
        client = make_client(
            policy=TrustingOnlyTheFakePlatform(),
            resolver=mapping("platform.test"),
            verify=fake.tls.client_context,
        )
        with pytest.raises(UpstreamUnavailable, match=r"TLS certificate verification failed for platform\.test"):
            client.request("GET", f"{fake.url_for('platform.test')}/items", deadline=soon())
        assert fake.requests == []
    assert sleep.waits == []


@pytest.mark.parametrize(
    "location",
    [
        "https://internal.test:{port}/items",  # a public-looking name that resolves to 127.0.0.1
        "https://169.254.169.254/latest/meta-data/",
        "https://0x7f000001:{port}/items",
        "https://[::ffff:127.0.0.1]:{port}/items",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    tls_server: FakeHttpServer, strict_tls_client: SafeHttpClient, location: str
) -> None:
    client = strict_tls_client
    tls_server.faults("GET", "/start").redirect(location.format(port=tls_server.port))
    with pytest.raises(TargetNotAllowed):
        client.request("GET", f"{tls_server.url_for('platform.test')}/start", deadline=soon())
    assert [r.path for r in tls_server.requests] == ["/start"]


def test_a_redirect_from_https_to_http_is_refused(
    tls_server: FakeHttpServer, strict_tls_client: SafeHttpClient
) -> None:
    client = strict_tls_client
    tls_server.faults("GET", "/start").redirect(f"http://platform.test:{tls_server.port}/items")
    with pytest.raises(TargetNotAllowed, match="https to http"):
        client.request("GET", f"{tls_server.url_for('platform.test')}/start", deadline=soon())


# --- building blocks -----------------------------------------------------------------------------


def test_shared_client_is_one_instance_per_setting() -> None:
    assert shared_client() is shared_client()
    assert shared_client(allow_private_targets=True) is not shared_client()


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (" 1.5 ", 1.5), ("-3", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 2, 25, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Feb 2026 10:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 25 Feb 2026 09:00:00 GMT", now=now) == 0.0


def test_backoff_ceiling_doubles_up_to_the_maximum() -> None:
    policy = RetryPolicy(base_delay_seconds=0.5, max_delay_seconds=3.0)
    assert [policy.backoff_seconds(n, uniform=0.999) for n in (1, 2, 3, 4)] == pytest.approx(
        [0.4995, 0.999, 1.998, 2.997]
    )
    assert policy.backoff_seconds(3, uniform=0.0) == 0.0


def test_deadline_from_lambda_context_keeps_a_margin_and_a_cap() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 30_000

    clock_now = [100.0]
    deadline = Deadline.from_lambda_context(Context(), margin_seconds=2.0, clock=lambda: clock_now[0])
    assert deadline.remaining() == 28.0
    capped = Deadline.from_lambda_context(Context(), cap_seconds=5.0, clock=lambda: clock_now[0])
    assert capped.budget_seconds == 5.0
    assert deadline.child(10.0).remaining() == 10.0
    clock_now[0] = 127.5
    assert deadline.child(10.0).remaining() == 0.5
    clock_now[0] = 130.0
    assert deadline.expired and deadline.remaining() == 0.0


class RecordingStream(httpcore.NetworkStream):
    """A network stream that only remembers the timeouts it was asked to wait."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(timeout)
        return b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.timeouts.append(timeout)


def test_socket_waits_are_clamped_to_the_bound_deadline() -> None:
    inner = RecordingStream()
    stream = DeadlineBoundStream(inner)
    stream.read(1024, timeout=None)
    with bound_to(Deadline.after(0.5)):
        stream.read(1024, timeout=10.0)
        stream.write(b"x", timeout=None)
        stream.read(1024, timeout=0.1)
    unbound, clamped_read, clamped_write, shorter = inner.timeouts
    assert unbound is None
    assert clamped_read is not None and clamped_read <= 0.5
    assert clamped_write is not None and clamped_write <= 0.5
    assert shorter == 0.1
    with bound_to(Deadline.after(0)), pytest.raises(httpcore.ReadTimeout):
        stream.read(1024, timeout=10.0)
    assert len(inner.timeouts) == 4
