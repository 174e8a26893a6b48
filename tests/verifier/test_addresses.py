"""verifier.fetch.addresses: the address guard over every IANA special-purpose block, table-driven.

The tables below are transcribed from the registries, not imported from the code, so an edit
to the guard's own tables cannot make these tests pass by itself.

- IANA IPv4 Special-Purpose Address Registry (RFC 6890, updated by RFC 8190): as last updated
  2020-09-04 (the newest copy found), every row.
- IANA IPv6 Special-Purpose Address Registry (RFC 6890, RFC 8190): as last updated 2024-10-22
  (iana.org), every row, plus ``100:0:0:1::/64`` (dummy IPv6 prefix, RFC 9780, registered
  after that date).
- Not in those registries but refused all the same: IPv4 multicast ``224.0.0.0/4``, IPv6
  multicast ``ff00::/8``, site-local ``fec0::/10`` (RFC 3879), IPv4-compatible ``::/96``
  (RFC 4291, deprecated) and IPv4-translated ``::ffff:0:0:0/96`` (RFC 2765).

For each block its first, middle and last address are refused — the blocks the registry marks
"Globally Reachable: True" as well: that is the guard's decision (see ``verifier.fetch.addresses``),
tested on its own below. So is the decision to refuse every IPv6 form that carries an IPv4
address, even a public one.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from verifier.fetch.addresses import is_public, parse, refusal
from verifier.fetch.client import FetchError, FetchPolicy, GuardedFetcher

# (block, registry name, "Globally Reachable": True, False, or None for N/A / deprecated)
IPV4_REGISTRY = [
    ("0.0.0.0/8", '"This network"', False),
    ("0.0.0.0/32", '"This host on this network"', False),
    ("10.0.0.0/8", "Private-Use", False),
    ("100.64.0.0/10", "Shared Address Space", False),
    ("127.0.0.0/8", "Loopback", False),
    ("169.254.0.0/16", "Link Local", False),
    ("172.16.0.0/12", "Private-Use", False),
    ("192.0.0.0/24", "IETF Protocol Assignments", False),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", False),
    ("192.0.0.8/32", "IPv4 dummy address", False),
    ("192.0.0.9/32", "Port Control Protocol Anycast", True),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", True),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", False),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", False),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", False),
    ("192.31.196.0/24", "AS112-v4", True),
    ("192.52.193.0/24", "AMT", True),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", None),
    ("192.88.99.2/32", "6a44-relay anycast address", False),
    ("192.168.0.0/16", "Private-Use", False),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", True),
    ("198.18.0.0/15", "Benchmarking", False),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", False),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", False),
    ("240.0.0.0/4", "Reserved", False),
    ("255.255.255.255/32", "Limited Broadcast", False),
]

IPV6_REGISTRY = [
    ("::1/128", "Loopback Address", False),
    ("::/128", "Unspecified Address", False),
    ("::ffff:0:0/96", "IPv4-mapped Address", False),
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", True),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat.", False),
    ("100::/64", "Discard-Only Address Block", False),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", False),
    ("2001::/23", "IETF Protocol Assignments", False),
    ("2001::/32", "TEREDO", None),
    ("2001:1::1/128", "Port Control Protocol Anycast", True),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", True),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", True),
    ("2001:2::/48", "Benchmarking", False),
    ("2001:3::/32", "AMT", True),
    ("2001:4:112::/48", "AS112-v6", True),
    ("2001:10::/28", "Deprecated (previously ORCHID)", None),
    ("2001:20::/28", "ORCHIDv2", True),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", True),
    ("2001:db8::/32", "Documentation", False),
    ("2002::/16", "6to4", None),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", True),
    ("3fff::/20", "Documentation", False),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", False),
    ("fc00::/7", "Unique-Local", False),
    ("fe80::/10", "Link-Local Unicast", False),
]

OUTSIDE_THE_REGISTRIES = [
    ("224.0.0.0/4", "IPv4 multicast", False),
    ("ff00::/8", "IPv6 multicast", False),
    ("fec0::/10", "site-local, deprecated", False),
    ("::/96", "IPv4-compatible, deprecated", False),
    ("::ffff:0:0:0/96", "IPv4-translated", False),
]

ALL_BLOCKS = IPV4_REGISTRY + IPV6_REGISTRY + OUTSIDE_THE_REGISTRIES


def first_middle_last(cidr: str) -> list[str]:
    network = ipaddress.ip_network(cidr)
    picks = [network[0], network[network.num_addresses // 2], network[-1]]
    return [str(ip) for ip in dict.fromkeys(picks)]


REFUSED_BLOCK_ADDRESSES = [
    pytest.param(address, id=f"{cidr} {address}")
    for cidr, _name, _reachable in ALL_BLOCKS
    for address in first_middle_last(cidr)
]

# --- every IPv6 form of an IPv4 address --------------------------------------------------

TEREDO_SERVER = ipaddress.IPv4Address("65.54.227.120")  # a public relay, for the client form


def v4_groups(v4: ipaddress.IPv4Address) -> tuple[int, int]:
    value = int(v4)
    return value >> 16, value & 0xFFFF


def nat64_48(v4: ipaddress.IPv4Address) -> str:
    """RFC 6052 section 2.2 layout for a /48 prefix: 16 bits, the zero u octet, 16 bits."""
    prefix = int(ipaddress.IPv6Address("64:ff9b:1::"))
    high, low = v4_groups(v4)
    return str(ipaddress.IPv6Address(prefix | high << 64 | low << 48 - 8))


def embeddings(v4_text: str) -> dict[str, str]:
    """Every IPv6 spelling that carries ``v4_text``, by name."""
    v4 = ipaddress.IPv4Address(v4_text)
    high, low = v4_groups(v4)
    obfuscated = int(v4) ^ 0xFFFFFFFF
    server_high, server_low = v4_groups(TEREDO_SERVER)
    return {
        "nat64": f"64:ff9b::{high:x}:{low:x}",
        "nat64 dotted": f"64:ff9b::{v4}",
        "nat64 expanded upper-case": f"0064:FF9B:0000:0000:0000:0000:{high:04X}:{low:04X}",
        "nat64 local-use, /96 layout": f"64:ff9b:1::{high:x}:{low:x}",
        "nat64 local-use, /48 layout": nat64_48(v4),
        "6to4": f"2002:{high:x}:{low:x}::1",
        "6to4 subnet": f"2002:{high:x}:{low:x}:beef::{high:x}:{low:x}",
        "teredo server": f"2001:0:{high:x}:{low:x}::1",
        "teredo client": (
            f"2001:0:{server_high:x}:{server_low:x}:8000:63bf:"
            f"{obfuscated >> 16:x}:{obfuscated & 0xFFFF:x}"
        ),
        "ipv4-compatible": f"::{high:x}:{low:x}",
        "ipv4-compatible dotted": f"::{v4}",
        "ipv4-mapped": f"::ffff:{high:x}:{low:x}",
        "ipv4-mapped dotted": f"::ffff:{v4}",
        "ipv4-translated": f"::ffff:0:{high:x}:{low:x}",
        "ipv4-translated dotted": f"::ffff:0:{v4}",
    }


PRIVATE_V4 = ["169.254.169.254", "10.0.0.1", "127.0.0.1", "192.168.1.1", "100.64.0.1"]
EMBEDDED_PRIVATE = [
    pytest.param(address, id=f"{v4} as {form}")
    for v4 in PRIVATE_V4
    for form, address in embeddings(v4).items()
]
EMBEDDED_PUBLIC = [
    pytest.param(address, id=f"{v4} as {form}")
    for v4 in ("8.8.8.8", "1.1.1.1")
    for form, address in embeddings(v4).items()
]

ZONED = [
    "fe80::1%eth0",
    "fe80::1%1",
    "fe80::1%25eth0",
    "fe80::1%",
    "ff02::1%eth0",
    "::1%lo",
    "2606:4700:4700::1111%eth0",
    "1.1.1.1%eth0",
    "::ffff:1.1.1.1%eth0",
]

MALFORMED = [
    "",
    " 1.1.1.1",
    "1.1.1.1 ",
    "1.1.1.1.",
    "127.1",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "2130706433",
    "256.1.1.1",
    "[::1]",
    "[2606:4700:4700::1111]",
    "localhost",
    "1.1.1.1/32",
    "2606:4700:4700::1111/128",
    "2606:4700:4700:::1111",
]

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "9.9.9.9",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "2001:4860:4860::8888",
    # just outside a refused block
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.254.1",
    "2001:200::1",
    "2001:db9::1",
    "2003::1",
    "2620:4f:7fff::1",
    "2620:4f:8001::1",
]


def test_the_registry_tables_are_well_formed():
    for cidr, _name, reachable in ALL_BLOCKS:
        assert ipaddress.ip_network(cidr).with_prefixlen == ipaddress.ip_network(cidr).compressed
        assert reachable in (True, False, None)
    assert len({cidr for cidr, _n, _r in ALL_BLOCKS}) == len(ALL_BLOCKS)


class TestIsPublic:
    @pytest.mark.parametrize("address", REFUSED_BLOCK_ADDRESSES)
    def test_every_special_purpose_block_is_refused(self, address):
        assert not is_public(address)
        assert refusal(address)

    @pytest.mark.parametrize(
        "cidr", [cidr for cidr, _name, reachable in ALL_BLOCKS if reachable is True]
    )
    def test_globally_reachable_anycast_and_overlay_blocks_are_refused_too(self, cidr):
        # The decision: anycast services (PCP, TURN, DNS-SD, AS112, AMT), overlay identifiers
        # (ORCHIDv2, DETs) and the NAT64 prefix serve no did:web document or status list.
        for address in first_middle_last(cidr):
            assert not is_public(address), address

    @pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
    def test_every_ipv6_form_of_a_private_ipv4_address_is_refused(self, address):
        assert not is_public(address)

    @pytest.mark.parametrize("address", EMBEDDED_PUBLIC)
    def test_every_ipv6_form_of_a_public_ipv4_address_is_refused_too(self, address):
        # The decision: a translator or relay is the local network's, not the Internet's.
        assert not is_public(address)

    @pytest.mark.parametrize("address", ZONED)
    def test_an_address_with_a_zone_id_is_refused(self, address):
        assert not is_public(address)
        assert parse(address) is None

    @pytest.mark.parametrize("address", MALFORMED)
    def test_what_is_not_a_plain_address_is_refused_without_raising(self, address):
        assert not is_public(address)

    @pytest.mark.parametrize("address", PUBLIC)
    def test_public_addresses_are_accepted(self, address):
        assert is_public(address), refusal(address)

    def test_the_refusal_names_the_most_specific_block(self):
        assert "Port Control Protocol" in (refusal("192.0.0.9") or "")
        assert "Teredo" in (refusal("2001::1") or "")
        assert "NAT64" in (refusal("64:ff9b::a9fe:a9fe") or "")
        assert "site-local" in (refusal("fec0::1") or "")
        assert "zone" in (refusal("fe80::1%eth0") or "")


# --- the same rule where it matters: before GuardedFetcher connects -----------------------


class RecordingTransport(httpx.BaseTransport):
    """Answers 200 and remembers every request it was asked to send."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=b"{}")


def guarded(*addresses: str) -> tuple[GuardedFetcher, RecordingTransport]:
    transport = RecordingTransport()
    fetcher = GuardedFetcher(
        FetchPolicy(), resolve=lambda host, port: list(addresses), transport=transport
    )
    return fetcher, transport


def refused_code(fetcher: GuardedFetcher) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher("https://issuer.example/.well-known/did.json")
    return caught.value.code


class TestGuardedFetcher:
    @pytest.mark.parametrize(
        "address", [*REFUSED_BLOCK_ADDRESSES, *EMBEDDED_PRIVATE, *EMBEDDED_PUBLIC, *ZONED]
    )
    def test_refused_before_any_connection(self, address):
        fetcher, transport = guarded(address)
        assert refused_code(fetcher) == "fetch_forbidden_address"
        assert transport.requests == []

    @pytest.mark.parametrize("address", ["64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "fec0::1"])
    def test_one_refused_address_among_public_ones_refuses_the_host(self, address):
        fetcher, transport = guarded("1.1.1.1", address, "2606:4700:4700::1111")
        assert refused_code(fetcher) == "fetch_forbidden_address"
        assert transport.requests == []

    @pytest.mark.parametrize("address", ["1.1.1.1", "2606:4700:4700::1111"])
    def test_the_connection_goes_to_the_checked_address(self, address):
        fetcher, transport = guarded(address, "8.8.8.8")
        assert fetcher("https://issuer.example/.well-known/did.json") == b"{}"
        [request] = transport.requests
        assert request.url.host == address
        assert request.headers["host"] == "issuer.example"
