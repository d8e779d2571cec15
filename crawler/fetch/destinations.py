"""Which network addresses the crawler may connect to: the rule of the destination guard.

URLs, links, feeds and redirects come from people and sites we do not control; fetched
blindly, `http://169.254.169.254/...` (cloud metadata), `http://127.0.0.1:6379/` or
`http://10.0.0.1/admin` turn the crawler into a way into its own network (SSRF). By
default only public addresses are fetched: loopback, private (RFC 1918, CGNAT
100.64/10, fc00::/7), link-local (169.254/16, fe80::/10), unspecified (0.0.0.0/8, ::),
multicast and reserved/special-purpose addresses are refused, and so are IPv6 forms
that carry one of those IPv4 addresses (IPv4-mapped, 6to4, NAT64 64:ff9b::/96).

The rule judges an *address*, never a host name: `crawler.fetch.destination_guard`
applies it to every address a host name resolves to, at connect time, for every request
and every redirect hop, so DNS names and redirects cannot route around it. Odd numeric
hosts (`http://2130706433/`, `http://0x7f.1/`, `http://127.1/`) are judged as the
address the system resolver makes of them, i.e. the address a connection would reach
(127.0.0.1 for all three): checking what is connected to leaves nothing to guess.

Opt out with ALLOW_PRIVATE_NETWORKS (`--allow-private-networks`), or for labs and test
suites with the environment variable CRAWLER_ALLOW_PRIVATE_NETWORKS=1; let single
addresses or networks through with ALLOWED_PRIVATE_ADDRESSES (e.g. a proxy on loopback).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Read here and nowhere else: the opt-out for test suites and labs, inherited by every
# child process (scrapy, scrapyd jobs, scheduled runs) without touching their settings.
ALLOW_ENV = "CRAWLER_ALLOW_PRIVATE_NETWORKS"

_UNSPECIFIED = ipaddress.ip_network("0.0.0.0/8")  # "this network" (RFC 791, RFC 1122)
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT, RFC 6598
        "fc00::/7",  # unique local, RFC 4193
        "fec0::/10",  # site-local, deprecated by RFC 3879 but still routed in places
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are IPv4


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_ip_literal(host: str) -> bool:
    """True for an address in standard notation (`127.0.0.1`, `::1`); numeric forms such
    as `2130706433` are host names until a resolver makes an address of them."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def address_class(ip: IPAddress) -> str | None:
    """The class of a non-public address ("loopback", "private", "link-local",
    "unspecified", "multicast", "reserved"), or None for a public address."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        return address_class(inner)
    if ip.is_unspecified or (ip.version == 4 and ip in _UNSPECIFIED):
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:  # 169.254/16 holds the cloud metadata services
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in net for net in _PRIVATE if net.version == ip.version):
        return "private"
    # Documentation, benchmarking, broadcast, 240/4, IETF protocol assignments...
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """ALLOWED_PRIVATE_ADDRESSES: addresses (`10.1.2.3`) or networks (`10.1.0.0/16`)."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"ALLOWED_PRIVATE_ADDRESSES: {exc}") from None
    return tuple(networks)


@dataclass(frozen=True)
class DestinationPolicy:
    """Public addresses only, but for the `allowed` networks."""

    allowed: tuple[IPNetwork, ...] = ()

    def refusal(self, address: str, host: str | None = None) -> str | None:
        """Why a connection to `address` (which `host` resolved to) is refused, or None.
        The reason names the address class: `blocked: 127.0.0.1 is a loopback address`."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])  # no IPv6 zone id
        except ValueError:
            return f"blocked: {address} is not an IP address"
        kind = address_class(ip)
        if kind is None or any(ip in net for net in self.allowed if net.version == ip.version):
            return None
        article = "an" if kind[0] in "aeiou" else "a"
        reason = f"blocked: {ip} is {article} {kind} address"
        inner = embedded_ipv4(ip)
        if inner is not None:
            reason += f" (IPv4 {inner})"
        if host and host.strip("[]") != address:
            reason += f" ({host} resolves to it)"
        return reason


def allow_private_networks(settings) -> bool:
    """True if the guard is off: ALLOW_PRIVATE_NETWORKS, or CRAWLER_ALLOW_PRIVATE_NETWORKS=1
    in the environment (test suites, labs)."""
    from_env = os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return from_env or settings.getbool("ALLOW_PRIVATE_NETWORKS")


def policy_from_settings(settings) -> DestinationPolicy | None:
    """The crawl's destination policy, or None when private networks are allowed."""
    if allow_private_networks(settings):
        return None
    return DestinationPolicy(parse_networks(settings.getlist("ALLOWED_PRIVATE_ADDRESSES")))
