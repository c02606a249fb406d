"""Which URLs and addresses an outbound call may reach.

Pure: no sockets, no DNS. Hosts are parsed the way resolvers read them, including the legacy
``inet_aton`` spellings (``2130706433``, ``0177.0.0.1``, ``0x7f.1``), so a numeric host can never
slip past the check as a "name".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from connections.domain.outbound_errors import TargetNotAllowed

IPAddress = IPv4Address | IPv6Address

# IANA special-purpose ranges, listed explicitly because `ipaddress`'s flags differ between Python
# versions (3.11 calls multicast and 100.64/10 "global", for example).
_BLOCKED_V4 = tuple(
    IPv4Network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
_BLOCKED_V6 = tuple(
    IPv6Network(net)
    for net in (
        "::/96",            # unspecified, loopback, IPv4-compatible
        "::ffff:0:0/96",    # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b:1::/48",   # local-use NAT64
        "100::/64",         # discard
        "2001::/23",        # IETF protocol assignments (Teredo among them)
        "2001:db8::/32", "3fff::/20",  # documentation
        "5f00::/16",        # SRv6 SIDs
        "fc00::/7",         # unique local
        "fe80::/10",        # link-local
        "fec0::/10",        # site-local
        "ff00::/8",         # multicast
    )
)  # fmt: skip
_NAT64 = IPv6Network("64:ff9b::/96")
_LOCALHOST_NAMES = ("localhost", "localhost.localdomain")

_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host spelling denotes, or None for a name.

    Raises ValueError for a host that looks numeric but is not a valid address (``1.2.3.4.5``,
    ``08.0.0.1``): resolvers disagree on those, so they are never treated as names.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        return ip_address(text)
    labels = text.removesuffix(".").split(".")
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    return IPv4Address(_inet_aton(labels))


def _inet_aton(parts: list[str]) -> int:
    """Value of a 1-4 part dotted number; the last part fills the remaining bytes."""
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        raise ValueError("not an IPv4 address")
    numbers = [_ipv4_number(part) for part in parts]
    *leading, last = numbers
    if any(number > 0xFF for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError("IPv4 part out of range")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return value


def _ipv4_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    """IPv4 addresses a 6to4 or Teredo address leads to."""
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(address, IPv6Address):
        if address in _NAT64:
            # DNS64 synthesises these in IPv6-only subnets; they are exactly as public as their IPv4.
            return is_public_address(IPv4Address(int(address) & 0xFFFFFFFF))
        if address.ipv4_mapped is not None or any(address in net for net in _BLOCKED_V6):
            return False
        if not all(is_public_address(inner) for inner in _embedded_ipv4(address)):
            return False
        if address.is_site_local:
            return False
    elif any(address in net for net in _BLOCKED_V4):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _is_localhost_name(host: str) -> bool:
    name = host.strip().lower().removesuffix(".")
    return name in _LOCALHOST_NAMES or name.endswith(".localhost")


@dataclass(frozen=True)
class TargetPolicy:
    """The rules of one client. ``allow_private`` (local development and tests only) lifts the
    address and https rules; the URL-shape rules always hold."""

    allow_private: bool = False

    @property
    def allowed_schemes(self) -> frozenset[str]:
        """Schemes a URL may use."""
        return frozenset({"http", "https"}) if self.allow_private else frozenset({"https"})

    def check_url(self, *, scheme: str, host: str, port: int | None, has_userinfo: bool) -> None:
        """Refuse a URL by its parts, before any lookup. Raises TargetNotAllowed."""
        if scheme.lower() not in self.allowed_schemes:
            raise TargetNotAllowed(f"only {' or '.join(sorted(self.allowed_schemes))} URLs may be called")
        if has_userinfo:
            raise TargetNotAllowed("URLs must not contain a user name or password")
        if not host:
            raise TargetNotAllowed("the URL has no host")
        if port is not None and not 1 <= port <= 65535:
            raise TargetNotAllowed("the port must be between 1 and 65535")
        literal = self.literal_address(host)
        if literal is not None:
            self.check_addresses(host, [literal])
        elif _is_localhost_name(host) and not self.allow_private:
            raise TargetNotAllowed.private_address(host)

    def literal_address(self, host: str) -> IPAddress | None:
        """The address ``host`` spells, None for a name; TargetNotAllowed for a malformed number."""
        try:
            return parse_ip_literal(host)
        except ValueError:
            raise TargetNotAllowed(f"{host} is not a valid host name or address") from None

    def check_addresses(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """Refuse unless EVERY address ``host`` resolved to may be contacted."""
        if self.allow_private:
            return
        if not all(is_public_address(address) for address in addresses):
            raise TargetNotAllowed.private_address(host)
