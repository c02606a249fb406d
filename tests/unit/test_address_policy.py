"""Which hosts and addresses outbound calls may reach (no sockets, no DNS)."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from connections.adapters.outbound.address_policy import TargetPolicy, is_public_address, parse_ip_literal
from connections.adapters.outbound.pinned_transport import resolve_checked, static_resolver
from connections.domain.outbound_errors import TargetNotAllowed, UpstreamUnavailable

STRICT = TargetPolicy()
LOCAL = TargetPolicy(allow_private=True)

REFUSED_HOSTS = [
    # loopback and its numeric spellings
    "127.0.0.1",
    "127.0.0.1.",
    "127.255.255.254",
    "127.1",
    "2130706433",
    "0177.0.0.1",
    "017700000001",
    "0x7f000001",
    "0x7F000001",
    "0x7f.1",
    "0x7f.0.0.1",
    "0x7f.0x0.0x0.0x1",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "api.localhost",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    # private, shared and special IPv4
    "10.0.0.1",
    "10.255.255.255",
    "012.0.0.1",
    "167772161",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "192.168.255.255",
    "0xc0a80001",
    "169.254.169.254",
    "0xa9fea9fe",
    "2852039166",
    "169.254.1.1",
    "100.64.0.1",
    "100.127.255.255",
    "0.0.0.0",
    "0",
    "0.1.2.3",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "192.88.99.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6: mapped, compatible, embedded private IPv4, special ranges
    "[::ffff:127.0.0.1]",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:8.8.8.8",
    "::ffff:0:127.0.0.1",
    "::127.0.0.1",
    "::",
    "64:ff9b::127.0.0.1",
    "64:ff9b::a00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::808:808",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
    "2002:c0a8:101::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:db8::1",
    "3fff::1",
    "100::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%25eth0",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
]

PUBLIC_HOSTS = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "134744072",  # 8.8.8.8
    "0x08080808",
    "2606:4700:4700::1111",
    "[2001:4860:4860::8888]",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "api.liveramp.com",
    "api.thetradedesk.com",
    "127.0.0.1.example.com",
    "0x7f.example.com",
]

MALFORMED_NUMERIC_HOSTS = [
    "1.2.3.4.5",
    "08.0.0.1",
    "256.0.0.1",
    "1.2.3.256",
    "4294967296",
    "0x100000000",
    "1.2.3.0x100",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_refuses_non_public_hosts(host: str) -> None:
    with pytest.raises(TargetNotAllowed) as refused:
        STRICT.check_url(scheme="https", host=host, port=None, has_userinfo=False)
    assert str(refused.value).startswith("Target address is not allowed: ")


@pytest.mark.parametrize("host", PUBLIC_HOSTS)
def test_allows_public_hosts(host: str) -> None:
    STRICT.check_url(scheme="https", host=host, port=443, has_userinfo=False)


@pytest.mark.parametrize("host", MALFORMED_NUMERIC_HOSTS)
def test_numeric_looking_hosts_that_are_not_addresses_are_refused_even_locally(host: str) -> None:
    for policy in (STRICT, LOCAL):
        with pytest.raises(TargetNotAllowed, match="not a valid host"):
            policy.check_url(scheme="https", host=host, port=None, has_userinfo=False)


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.65535", "10.1.255.255"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0x", "0.0.0.0"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_parses_legacy_ipv4_spellings(spelling: str, address: str) -> None:
    assert parse_ip_literal(spelling) == ip_address(address)


@pytest.mark.parametrize("name", ["example.com", "1e3", "cafe", "a.b.c.d", "api.0x7f.example.com"])
def test_names_are_not_addresses(name: str) -> None:
    assert parse_ip_literal(name) is None


def test_public_address_classification_covers_both_families() -> None:
    assert is_public_address(IPv4Address("8.8.4.4"))
    assert is_public_address(IPv6Address("2a00:1450:4001:80b::200e"))
    assert not is_public_address(IPv4Address("169.254.169.254"))
    assert not is_public_address(IPv6Address("fd00:ec2::254"))  # the IPv6 instance metadata address


@pytest.mark.parametrize("scheme", ["http", "ftp", "file", "gopher", "ws", "javascript"])
def test_only_https_is_allowed(scheme: str) -> None:
    with pytest.raises(TargetNotAllowed, match="only https"):
        STRICT.check_url(scheme=scheme, host="api.example.com", port=None, has_userinfo=False)


def test_scheme_check_is_case_insensitive() -> None:
    STRICT.check_url(scheme="HTTPS", host="api.example.com", port=None, has_userinfo=False)


def test_userinfo_is_refused() -> None:
    for policy in (STRICT, LOCAL):
        with pytest.raises(TargetNotAllowed, match="user name or password"):
            policy.check_url(scheme="https", host="api.example.com", port=None, has_userinfo=True)


@pytest.mark.parametrize("port", [0, -1, 65536, 99999])
def test_ports_outside_the_valid_range_are_refused(port: int) -> None:
    for policy in (STRICT, LOCAL):
        with pytest.raises(TargetNotAllowed, match="port"):
            policy.check_url(scheme="https", host="api.example.com", port=port, has_userinfo=False)


@pytest.mark.parametrize("port", [1, 443, 8443, 65535])
def test_valid_ports_are_allowed(port: int) -> None:
    STRICT.check_url(scheme="https", host="api.example.com", port=port, has_userinfo=False)


def test_missing_host_is_refused() -> None:
    with pytest.raises(TargetNotAllowed, match="no host"):
        STRICT.check_url(scheme="https", host="", port=None, has_userinfo=False)


def test_local_policy_allows_http_and_private_addresses_but_not_other_schemes() -> None:
    LOCAL.check_url(scheme="http", host="127.0.0.1", port=8080, has_userinfo=False)
    LOCAL.check_url(scheme="http", host="localhost", port=None, has_userinfo=False)
    with pytest.raises(TargetNotAllowed):
        LOCAL.check_url(scheme="file", host="127.0.0.1", port=None, has_userinfo=False)


# Names that resolve to refused addresses: checked on the resolver's answers.
RESOLVER = static_resolver(
    {
        "internal.example": ["10.0.0.5"],
        "metadata.example": ["169.254.169.254"],
        "loopback.example": ["127.0.0.1"],
        "mapped.example": ["::ffff:127.0.0.1"],
        "ula.example": ["fd00::1"],
        "cgnat.example": ["100.64.1.1"],
        "rebind.example": ["93.184.216.34", "127.0.0.1"],
        "dual.example": ["93.184.216.34", "2606:2800:220:1::1"],
    }
)


@pytest.mark.parametrize(
    "host",
    [
        "internal.example",
        "metadata.example",
        "loopback.example",
        "mapped.example",
        "ula.example",
        "cgnat.example",
        "rebind.example",
    ],
)
def test_names_resolving_to_any_refused_address_are_refused(host: str) -> None:
    with pytest.raises(TargetNotAllowed) as refused:
        resolve_checked(host, 443, policy=STRICT, resolver=RESOLVER)
    assert str(refused.value) == (f"Target address is not allowed: {host} resolves to a private or reserved address")


def test_every_address_of_a_public_name_is_returned_for_pinning() -> None:
    addresses = resolve_checked("dual.example", 443, policy=STRICT, resolver=RESOLVER)
    assert addresses == [ip_address("93.184.216.34"), ip_address("2606:2800:220:1::1")]


def test_private_answers_are_accepted_when_private_targets_are_allowed() -> None:
    addresses = resolve_checked("rebind.example", 80, policy=LOCAL, resolver=RESOLVER)
    assert ip_address("127.0.0.1") in addresses


def test_address_literals_are_never_looked_up() -> None:
    def resolver(*_: object) -> list[tuple[object, ...]]:
        raise AssertionError("a literal address must not be resolved")

    assert resolve_checked("0x08080808", 443, policy=STRICT, resolver=resolver) == [ip_address("8.8.8.8")]
    with pytest.raises(TargetNotAllowed):
        resolve_checked("0x7f.1", 443, policy=STRICT, resolver=resolver)


def test_unknown_names_are_unavailable_not_refused() -> None:
    with pytest.raises(UpstreamUnavailable, match=r"Could not resolve nowhere\.example"):
        resolve_checked("nowhere.example", 443, policy=STRICT, resolver=RESOLVER)


def test_an_empty_answer_is_unavailable() -> None:
    with pytest.raises(UpstreamUnavailable):
        resolve_checked("empty.example", 443, policy=STRICT, resolver=lambda *_: [])


def test_static_resolver_answers_like_getaddrinfo() -> None:
    (family, kind, _proto, _canon, sockaddr), *_ = RESOLVER("dual.example", 8443, 0, socket.SOCK_STREAM)
    assert (family, kind, sockaddr) == (socket.AF_INET, socket.SOCK_STREAM, ("93.184.216.34", 8443))
