"""NodePorts: two pods cannot hold the same hostPort (protocol, address) on one node.

``0.0.0.0`` (or an empty hostIP) binds every address, so it conflicts with any
use of the port; a specific address conflicts with itself and with ``0.0.0.0``
(``HostPortInfo.CheckConflict``).
"""

from __future__ import annotations

from kubelab.scheduler.framework import UNSCHEDULABLE, CycleState, FilterPlugin

__all__ = ["ERR_REASON_PORTS", "NodePorts"]

ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports"
_ANY = "0.0.0.0"


class NodePorts(FilterPlugin):
    name = "NodePorts"
    code = UNSCHEDULABLE

    def filter(self, state: CycleState):
        pod, table = state.pod, state.table
        if not pod.ports:
            return []
        conflicting: set[int] = set()
        for ip, protocol, port in pod.ports:
            users = table.ports.get((protocol, port))
            if not users:
                continue
            addresses = users.keys() if ip == _ANY else (ip, _ANY)
            for address in addresses:
                conflicting.update(users.get(address, ()))
        if not conflicting:
            return []
        return [(ERR_REASON_PORTS, table.slots_mask(conflicting))]
