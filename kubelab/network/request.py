"""One request on its way: who sends it, the hops it passes, how it ends.

Examples
--------
>>> _split_port("web:8080"), _split_port("web")
(('web', 8080), ('web', None))
>>> req = Request(Client("client", "192.168.0.2", "node-1"))
>>> req.hop("kube-proxy (node-1)"); req.fail("connection refused", 1.0)
>>> req.hops, req.status, req.latency
(['client (node-1)', 'kube-proxy (node-1)'], 'connection refused', 0.0015)
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from kubelab.errors import Invalid

__all__ = ["COLUMNS", "EXTERNAL_IP", "Client", "Request"]

COLUMNS = [
    "time",
    "client",
    "target",
    "pod",
    "node",
    "version",
    "status",
    "latency",
    "path",
    "service",
    "endpoint",
    "container",
]
EXTERNAL_IP = "198.51.100.7"  # TEST-NET-2: a client on the internet
HOP_SECONDS = 0.0005  # one network hop
REFUSED_SECONDS = 0.001


@dataclass
class Client:
    """Who sends: a pod, the default in-cluster client (a node's host network) or the internet."""

    name: str
    ip: str
    node: str | None = None  # None: outside the cluster
    namespace: str = "default"
    pod: tuple | None = None  # (namespace, name)

    @property
    def inside(self) -> bool:
        return self.node is not None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _split_port(hostport: str) -> tuple[str, int | None]:
    host, sep, port = hostport.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    if sep and not port.isdigit():
        raise Invalid(message=f'error: invalid port "{port}" in target "{hostport}"')
    return hostport, None


class Request:
    """One request being followed through the network: its path, timing and outcome."""

    __slots__ = (
        "container",
        "endpoint",
        "hops",
        "latency",
        "node",
        "pod",
        "service",
        "status",
        "version",
    )

    def __init__(self, client: Client):
        self.hops = [f"{client.name}" + (f" ({client.node})" if client.node else "")]
        self.status = self.pod = self.node = self.version = self.service = None
        self.endpoint = self.container = None
        self.latency = 0.0

    def hop(self, text: str) -> None:
        self.hops.append(text)
        self.latency += HOP_SECONDS

    def fail(self, status: str, timeout: float) -> None:
        self.status = status
        self.latency = timeout if status == "timeout" else self.latency + REFUSED_SECONDS
