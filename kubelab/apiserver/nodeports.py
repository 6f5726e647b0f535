"""The Service registry's node-port allocator (``pkg/registry/core/service/portallocator``).

``NodePort`` Services, and ``LoadBalancer`` Services (unless
``allocateLoadBalancerNodePorts: false``), get a port from ``--service-node-port-range``
(default ``30000-32767``) on every node. A requested ``nodePort`` is honoured or refused
with upstream's messages; ports are cluster-wide unique and come back when the Service is
deleted or its type stops needing them. ``externalTrafficPolicy: Local`` on a LoadBalancer
also allocates ``healthCheckNodePort``.

Dynamic picks start at a hash of ``namespace/name/port`` in the upper band (upstream picks
at random there) and leave the lower band for static requests (KEP-3668).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> svc = c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 30080}]}
... ''')[0]
>>> svc["spec"]["ports"][0]["nodePort"]
30080
>>> c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: web-dup}
... spec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}
... ''')
Traceback (most recent call last):
...
kubelab.errors.Invalid: The Service "web-dup" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated
"""

from __future__ import annotations

from kubelab.apiserver.serviceips import ServiceRegistryPlugin, stable_offset
from kubelab.errors import FieldError, Invalid, KubelabError

__all__ = ["NODE_PORT_RANGE", "NodePortAllocator", "needs_node_ports"]

NODE_PORT_RANGE = (30000, 32767)


def needs_node_ports(spec: dict) -> bool:
    """NodePort, or LoadBalancer unless ``allocateLoadBalancerNodePorts`` is false."""
    kind = spec.get("type", "ClusterIP")
    return kind == "NodePort" or (
        kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True) is not False
    )


def _needs_health_check(spec: dict) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


class NodePortAllocator(ServiceRegistryPlugin):
    """Allocate, honour or refuse ``spec.ports[*].nodePort`` and ``spec.healthCheckNodePort``."""

    def __init__(self, port_range: tuple[int, int] = NODE_PORT_RANGE) -> None:
        super().__init__()
        self.low, self.high = port_range
        self._size = self.high - self.low + 1
        # Lower band kept for static ports: min(max(16, size/32), 128).
        self._static = min(max(16, self._size // 32), 128)

    def held(self, service: dict) -> tuple:
        spec = service.get("spec") or {}
        ports = {p.get("nodePort") for p in spec.get("ports") or () if isinstance(p, dict)}
        ports.add(spec.get("healthCheckNodePort"))
        return tuple(sorted(p for p in ports if isinstance(p, int) and p))

    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        self.bind(api)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        old_spec = (old or {}).get("spec") or {}
        ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]
        if old is not None:
            _drop_or_keep_node_ports(spec, ports, old_spec)
        mine = set(self.held(old)) if old is not None else set()
        errors: list[FieldError] = []
        chosen: dict[int, object] = {}  # nodePort -> port number that took it in this request
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            # initNodePorts: requested ports are honoured (and checked) even when a
            # LoadBalancer has allocateLoadBalancerNodePorts: false
            for i, port in enumerate(ports):
                requested = port.get("nodePort")
                if requested:
                    if not isinstance(requested, int) or requested in chosen:
                        continue  # validation reports bad types and duplicates
                    detail = self._refusal(requested, obj, mine)
                    if detail:
                        errors.append(
                            FieldError.invalid(f"spec.ports[{i}].nodePort", requested, detail)
                        )
                    chosen[requested] = port.get("port")
        if needs_node_ports(spec):
            for i, port in enumerate(ports):
                if port.get("nodePort"):
                    continue
                # The same port number over another protocol shares its node port.
                same = next((n for n, p in chosen.items() if p == port.get("port")), None)
                port["nodePort"] = same or self._next_free(obj, i, chosen)
                chosen[port["nodePort"]] = port.get("port")
        if _needs_health_check(spec):
            requested = spec.get("healthCheckNodePort")
            if requested:
                detail = isinstance(requested, int) and self._refusal(requested, obj, mine)
                if detail:
                    errors.append(FieldError.invalid("spec.healthCheckNodePort", requested, detail))
            else:
                spec["healthCheckNodePort"] = self._next_free(obj, len(ports), chosen)
        if errors:
            raise Invalid("Service", obj["metadata"].get("name", ""), errors)

    def _refusal(self, port: int, obj: dict, mine: set) -> str:
        if port in mine:
            return ""
        if not self.low <= port <= self.high:
            return (
                "provided port is not in the valid range. "
                f"The range of valid ports is {self.low}-{self.high}"
            )
        if self.taken_by_other(port, obj):
            return "provided port is already allocated"
        return ""

    def _next_free(self, obj: dict, index: int, chosen: dict) -> int:
        meta = obj["metadata"]
        dynamic = self._size - self._static
        key = f"{meta.get('namespace', 'default')}/{meta.get('name', '')}/{index}"
        start = stable_offset(key, dynamic)
        for step in range(self._size):
            offset = self._static + (start + step) % dynamic if step < dynamic else step - dynamic
            port = self.low + offset
            if port not in self.owner and port not in chosen:
                return port
        raise KubelabError("Internal error occurred: failed to allocate a nodePort: range is full")


def _drop_or_keep_node_ports(spec: dict, ports: list[dict], old_spec: dict) -> None:
    """``dropTypeDependentFields`` and ``patchAllocatedValues`` for node ports."""
    old_ports = [p for p in old_spec.get("ports") or () if isinstance(p, dict)]
    if not needs_node_ports(spec):
        old_node_ports = [p.get("nodePort") for p in old_ports]
        if [p.get("nodePort") for p in ports][: len(old_node_ports)] == old_node_ports[
            : len(ports)
        ]:
            for port in ports:
                port.pop("nodePort", None)
    elif needs_node_ports(old_spec):
        by_port = {}
        for p in old_ports:
            by_port.setdefault((p.get("port"), p.get("protocol")), p.get("nodePort"))
            by_port.setdefault((p.get("port"), None), p.get("nodePort"))
        for port in ports:
            if not port.get("nodePort"):
                found = by_port.get((port.get("port"), port.get("protocol"))) or by_port.get(
                    (port.get("port"), None)
                )
                if found:
                    port["nodePort"] = found
    if not _needs_health_check(spec):
        if spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort"):
            spec.pop("healthCheckNodePort", None)
    elif (
        _needs_health_check(old_spec)
        and not spec.get("healthCheckNodePort")
        and old_spec.get("healthCheckNodePort")
    ):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]
    was_lb = old_spec.get("type") == "LoadBalancer" != spec.get("type")
    same_alloc = spec.get("allocateLoadBalancerNodePorts") == old_spec.get(
        "allocateLoadBalancerNodePorts"
    )
    if was_lb and same_alloc:
        spec.pop("allocateLoadBalancerNodePorts", None)
    accessible = spec.get("type") in ("NodePort", "LoadBalancer") or bool(spec.get("externalIPs"))
    if not accessible and spec.get("externalTrafficPolicy") == old_spec.get(
        "externalTrafficPolicy"
    ):
        spec.pop("externalTrafficPolicy", None)
