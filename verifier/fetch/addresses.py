"""Which network addresses the verifier may connect to: :func:`is_public` and its rules.

The guarded client (:mod:`verifier.fetch.client`) asks :func:`is_public` about every address a host
resolves to, before it connects, and then connects to an address it asked about. The rule is
an allowlist, so an address nobody thought of is refused, not let through:

1. **Text.** The address is parsed with :mod:`ipaddress` (strict: no ``127.1``, ``0x7f.0.0.1``,
   leading zeros or integers). Anything that does not parse is refused. An address carrying a
   zone id (``fe80::1%eth0``) is refused whatever the address: only scoped addresses need one,
   and no scoped address is public. The zone is cut off at the first ``%`` before anything
   else is looked at, so it cannot change what is parsed.
2. **IPv4** is public unless it lies in a block of the IANA IPv4 Special-Purpose Address
   Registry (:data:`IPV4_BLOCKS`) or in multicast ``224.0.0.0/4``.
3. **IPv6** is public only inside native global unicast ``2000::/3``, and outside the
   special-purpose blocks that sit in it (:data:`IPV6_BLOCKS`: ``2001::/23``, ``2001:db8::/32``,
   ``2002::/16``, ``2620:4f:8000::/48``, ``3fff::/20``). Everything outside ``2000::/3`` is
   refused without a table: ``::/128``, ``::1``, IPv4-compatible ``::/96``, IPv4-mapped
   ``::ffff:0:0/96``, IPv4-translated ``::ffff:0:0:0/96``, NAT64 ``64:ff9b::/96`` and
   ``64:ff9b:1::/48``, discard-only ``100::/64``, dummy ``100:0:0:1::/64``, SRv6 ``5f00::/16``,
   unique-local ``fc00::/7``, link-local ``fe80::/10``, site-local ``fec0::/10``, multicast
   ``ff00::/8`` and every block not yet assigned.
4. **A second opinion.** The standard library's ``is_global`` must agree as well. It is never
   the rule on its own (Python 3.11 calls NAT64, 6to4 and IPv4-compatible addresses of private
   IPv4 hosts global, for one), but it can only refuse more.

Decisions, each deliberate:

- **Every IPv6 form that carries an IPv4 address is refused, whatever the IPv4 address is**:
  NAT64 (both prefixes), 6to4, Teredo (server and obfuscated client address alike),
  IPv4-compatible, IPv4-mapped and IPv4-translated. Where a translator or relay sends such a
  packet is decided by a gateway of the local network, not by global routing, so the embedded
  address proves nothing; and one rule (no translation prefixes) has no decoding to get wrong.
  The cost: on an IPv6-only network whose DNS64 synthesises ``64:ff9b::/96`` addresses, hosts
  reachable only over IPv4 cannot be fetched. Run the verifier with native IPv4 (or dual
  stack) egress.
- **Registry blocks marked "Globally Reachable: True" are refused too** (``192.0.0.9/32``,
  ``192.0.0.10/32``, ``192.31.196.0/24``, ``192.52.193.0/24``, ``192.175.48.0/24``,
  ``64:ff9b::/96``, ``2001:1::1/128`` … ``2001:1::3/128``, ``2001:3::/32``, ``2001:4:112::/48``,
  ``2001:20::/28``, ``2001:30::/28``, ``2620:4f:8000::/48``). They are anycast service
  addresses (PCP, TURN, DNS-SD, AS112 DNS sinks, AMT relays), overlay identifiers (ORCHIDv2,
  drone DETs) or the NAT64 prefix: no did:web document or status list is served from them, and
  a verifier has no reason to talk to a network's anycast services. So one sentence holds:
  *no address in any special-purpose block is public*.
- ``allow_private`` (development only) is decided by the caller, not here.

The tables name the registry block (the most specific one) in the refusal message.
Registries used: IPv4 as last updated 2020-09-04, IPv6 as last updated 2024-10-22 plus
``100:0:0:1::/64`` (RFC 9780) — see ``tests/verifier/test_addresses.py``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Block:
    """A special-purpose block: its network, its registry name (or where it comes from)."""

    network: Network
    name: str


def _blocks(*rows: tuple[str, str]) -> tuple[Block, ...]:
    return tuple(Block(ipaddress.ip_network(cidr), name) for cidr, name in rows)


# The IANA IPv4 Special-Purpose Address Registry, every row, plus multicast (from the IPv4
# Multicast Address Space Registry). All refused, the "Globally Reachable" ones included.
IPV4_BLOCKS: Final = _blocks(
    ("0.0.0.0/8", '"this network" (RFC 791)'),
    ("0.0.0.0/32", '"this host on this network" (RFC 1122)'),
    ("10.0.0.0/8", "private-use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private-use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.0.0/29", "IPv4 service continuity prefix (RFC 7335)"),
    ("192.0.0.8/32", "IPv4 dummy address (RFC 7600)"),
    ("192.0.0.9/32", "Port Control Protocol anycast (RFC 7723)"),
    ("192.0.0.10/32", "TURN anycast (RFC 8155)"),
    ("192.0.0.170/32", "NAT64/DNS64 discovery (RFC 8880)"),
    ("192.0.0.171/32", "NAT64/DNS64 discovery (RFC 8880)"),
    ("192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)"),
    ("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
    ("192.52.193.0/24", "AMT (RFC 7450)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.88.99.2/32", "6a44 relay anycast (RFC 6751)"),
    ("192.168.0.0/16", "private-use (RFC 1918)"),
    ("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
)

# The only IPv6 space that can be public: native global unicast (RFC 4291 section 2.4).
GLOBAL_UNICAST: Final = ipaddress.IPv6Network("2000::/3")

# The IANA IPv6 Special-Purpose Address Registry, every row, plus the deprecated and
# reserved forms it does not list. Those outside 2000::/3 are refused by the allowlist and
# are listed only to name them; those inside it are what the allowlist alone would let in.
IPV6_BLOCKS: Final = _blocks(
    ("::/128", "unspecified address (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("::/96", "IPv4-compatible, deprecated (RFC 4291)"),
    ("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
    ("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)"),
    ("64:ff9b::/96", "NAT64 well-known prefix (RFC 6052)"),
    ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2001::/32", "Teredo (RFC 4380)"),
    ("2001:1::1/128", "Port Control Protocol anycast (RFC 7723)"),
    ("2001:1::2/128", "TURN anycast (RFC 8155)"),
    ("2001:1::3/128", "DNS-SD service registration protocol anycast (RFC 9665)"),
    ("2001:2::/48", "benchmarking (RFC 5180)"),
    ("2001:3::/32", "AMT (RFC 7450)"),
    ("2001:4:112::/48", "AS112-v6 (RFC 7535)"),
    ("2001:10::/28", "deprecated ORCHID (RFC 4843)"),
    ("2001:20::/28", "ORCHIDv2 (RFC 7343)"),
    ("2001:30::/28", "drone remote ID entity tags (RFC 9374)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2002::/16", "6to4 (RFC 3056)"),
    ("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "segment routing SRv6 SIDs (RFC 9602)"),
    ("fc00::/7", "unique-local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("fec0::/10", "site-local, deprecated (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)


def parse(address: str) -> IPAddress | None:
    """The address ``address`` names, or None when it is not a plain IPv4 or IPv6 address
    (a zone id, surrounding space, brackets, a short or numeric IPv4 form all give None)."""
    if not isinstance(address, str) or "%" in address:
        return None
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def refusal(address: str) -> str | None:
    """Why the verifier must not connect to ``address`` (the special-purpose block it lies
    in, or what is wrong with it), or None when it is public under the module's rules."""
    if isinstance(address, str) and "%" in address:
        return "an address with a zone id (only scoped addresses carry one)"
    ip = parse(address)
    if ip is None:
        return "not an IP address"
    blocks = IPV4_BLOCKS if ip.version == 4 else IPV6_BLOCKS
    inside = [b for b in blocks if ip in b.network]
    if inside:
        return max(inside, key=lambda b: b.network.prefixlen).name
    if isinstance(ip, ipaddress.IPv6Address) and ip not in GLOBAL_UNICAST:
        return "outside IPv6 global unicast 2000::/3"
    if not ip.is_global or ip.is_multicast:
        return "not global (Python's ipaddress)"
    return None


def is_public(address: str) -> bool:
    """True only for a globally routable unicast address the verifier may connect to: not in
    any special-purpose block, not an IPv6 form of an IPv4 address, no zone id, well-formed.
    Never raises; anything it cannot read is not public."""
    return refusal(address) is None
