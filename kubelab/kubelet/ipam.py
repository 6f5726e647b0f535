"""Addresses: each node's pod CIDR and node IP, and pod IPs from the CNI's host-local IPAM.

Node number N (``node-N``, or the next free number for other names) gets the pod CIDR
``10.244.(N-1).0/24`` and the node IP ``192.168.0.(N+1)`` (counting on past .255 for big
clusters). Pod IPs start at ``.2`` (``.1`` is the node's bridge) and, as host-local IPAM
does, continue after the last one handed out, wrapping around to reuse released addresses:
a replacement pod usually gets a *new* IP.

Examples
--------
>>> numbers = NodeNumbers()
>>> numbers.claim("node-2"), numbers.claim("gpu-a"), numbers.claim("node-1")
(2, 1, 3)
>>> node_addresses(1)
('192.168.0.2', '10.244.0.0/24')
>>> pool = PodCIDR("10.244.0.0/24")
>>> pool.allocate(), pool.allocate()
('10.244.0.2', '10.244.0.3')
>>> pool.release("10.244.0.2"); pool.allocate()
'10.244.0.4'
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["NodeNumbers", "PodCIDR", "node_addresses"]

_NODE_NUMBER = re.compile(r"^node-(\d+)$")
_POD_BASE = int(ipaddress.IPv4Address("10.244.0.0"))
_NODE_BASE = int(ipaddress.IPv4Address("192.168.0.1"))
_TEN = int(ipaddress.IPv4Address("10.0.0.0"))


class NodeNumbers:
    """Hands out node numbers: ``node-N`` gets N when free; other names the lowest free one."""

    def __init__(self) -> None:
        self._owner: dict[int, str] = {}
        self._by_name: dict[str, int] = {}
        self._lowest = 1

    def claim(self, name: str) -> int:
        if name in self._by_name:
            return self._by_name[name]
        match = _NODE_NUMBER.match(name)
        number = int(match.group(1)) if match else 0
        if number < 1 or number in self._owner:
            while self._lowest in self._owner:
                self._lowest += 1
            number = self._lowest
        self._owner[number] = name
        self._by_name[name] = number
        return number


def node_addresses(number: int) -> tuple[str, str]:
    """``(InternalIP, podCIDR)`` of node number ``number``."""
    node_ip = str(ipaddress.IPv4Address(_NODE_BASE + number))
    # 10.244.0.0/24, 10.244.1.0/24, ...; past 10.255.255.0 wrap within 10.0.0.0/8.
    subnet = _TEN + ((_POD_BASE - _TEN + (number - 1) * 256) % 2**24)
    return node_ip, f"{ipaddress.IPv4Address(subnet)}/24"


class PodCIDR:
    """Pod IPs of one node's /24 (host-local IPAM: round robin from the last allocation)."""

    def __init__(self, cidr: str):
        self.network = ipaddress.IPv4Network(cidr, strict=False)
        self._base = int(self.network.network_address)
        self._size = self.network.num_addresses
        self._used: set[int] = set()
        self._last = 1  # .1 is the bridge (cni0), so the first pod gets .2

    def __len__(self) -> int:
        return len(self._used)

    def allocate(self) -> str | None:
        """The next free IP, or None when the range is exhausted."""
        first, last = 2, self._size - 2  # skip network, bridge and broadcast
        span = last - first + 1
        for step in range(1, span + 1):
            offset = first + (self._last - first + step) % span
            if offset not in self._used:
                self._used.add(offset)
                self._last = offset
                return str(ipaddress.IPv4Address(self._base + offset))
        return None

    def release(self, ip: str | None) -> None:
        if ip:
            self._used.discard(int(ipaddress.IPv4Address(ip)) - self._base)

    def range_text(self) -> str:
        return f"{ipaddress.IPv4Address(self._base + 1)}-{ipaddress.IPv4Address(self._base + self._size - 2)}"
