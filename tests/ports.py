"""Ports for servers the tests start: below the kernel's ephemeral range, so that no outgoing
connection of a test running beside (to PostgreSQL, Redis, a mail server) can be given one
between the probe and the server's bind, as a port picked by binding port 0 can."""

from __future__ import annotations

import random
import socket
from pathlib import Path

#: The lowest port handed out for probing (below it: well-known and commonly used ports).
LOWEST = 20_000


def _ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (32768 when it cannot be read)."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii")
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def free_port(span: int = 1) -> int:
    """A port that is free now with the ``span - 1`` ports after it, all below the ephemeral
    range (chosen at random, so tests on other workers pick other ports)."""
    highest = _ephemeral_start() - span
    while True:
        port = random.randint(LOWEST, highest)
        probes = [socket.socket() for _ in range(span)]
        try:
            for offset, probe in enumerate(probes):
                probe.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        return port
