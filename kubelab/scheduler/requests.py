"""What a pod asks of a node: resource requests and host ports, computed upstream's way.

A pod's request is ``max(Σ containers, max init container) + overhead``, where
restartable ("sidecar") init containers keep running and so are added to the sum
(``k8s.io/component-helpers/resource.PodRequests``). The filter uses the actual
requests; LeastAllocated scoring uses "non-zero" requests, where a container that
does not mention CPU or memory counts as ``100m`` / ``200Mi``
(``pkg/scheduler/util.DefaultMilliCPURequest``/``DefaultMemoryRequest``).

Examples
--------
>>> pod = {"spec": {
...     "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2", "memory": "1G"}}},
...                        {"name": "j", "resources": {"requests": {"cpu": "2", "memory": "3G"}}}],
...     "containers": [{"name": "a", "resources": {"requests": {"cpu": "2", "memory": "1G"}}},
...                    {"name": "b", "resources": {"requests": {"cpu": "1", "memory": "1G"}}}]}}
>>> r = pod_requests(pod)
>>> r.cpu, r.memory
(3000, 3000000000)
>>> nz = pod_requests({"spec": {"containers": [{"name": "a"}]}}, non_zero=True)
>>> nz.cpu, nz.memory
(100, 209715200)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kubelab.api.quantity import cpu_millis, memory_bytes

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "Resource",
    "host_ports",
    "pod_requests",
]

DEFAULT_MILLI_CPU_REQUEST = 100  # 0.1 core
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # 200 MiB

CPU, MEMORY, EPHEMERAL, PODS = "cpu", "memory", "ephemeral-storage", "pods"
_INT64_MAX = 2**63 - 1


@lru_cache(maxsize=4096)
def _amount(name: str, value) -> int:
    # Quantities repeat endlessly across pods of one template: parse each text once.
    amount = cpu_millis(value) if name == CPU else memory_bytes(value)
    return min(amount, _INT64_MAX)  # the node table's int64 columns; upstream saturates too


@dataclass
class Resource:
    """Millicores, bytes and counts, as the scheduler's ``framework.Resource``."""

    cpu: int = 0
    memory: int = 0
    ephemeral: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_list(cls, resources: dict | None) -> Resource:
        """A ``ResourceList`` (``{"cpu": "500m", ...}``); ``pods`` is ignored here."""
        out = cls()
        for name, value in (resources or {}).items():
            out._set(name, _amount(name, value))
        return out

    def _set(self, name: str, amount: int) -> None:
        if name == CPU:
            self.cpu = amount
        elif name == MEMORY:
            self.memory = amount
        elif name == EPHEMERAL:
            self.ephemeral = amount
        elif name != PODS:
            self.scalar[name] = amount

    def add(self, other: Resource) -> None:
        self.cpu += other.cpu
        self.memory += other.memory
        self.ephemeral += other.ephemeral
        for name, amount in other.scalar.items():
            self.scalar[name] = self.scalar.get(name, 0) + amount

    def set_max(self, other: Resource) -> None:
        self.cpu = max(self.cpu, other.cpu)
        self.memory = max(self.memory, other.memory)
        self.ephemeral = max(self.ephemeral, other.ephemeral)
        for name, amount in other.scalar.items():
            self.scalar[name] = max(self.scalar.get(name, 0), amount)

    def copy(self) -> Resource:
        return Resource(self.cpu, self.memory, self.ephemeral, dict(self.scalar))

    def is_zero(self) -> bool:
        """True when nothing is requested: such a pod only needs a pod slot."""
        return not (self.cpu or self.memory or self.ephemeral or any(self.scalar.values()))


def _container_requests(container: dict, non_zero: bool) -> Resource:
    requests = (container.get("resources") or {}).get("requests") or {}
    out = Resource.from_list(requests)
    if non_zero:
        # "Non-missing": only a request that is absent gets the default; an explicit 0 stays 0.
        if CPU not in requests:
            out.cpu = DEFAULT_MILLI_CPU_REQUEST
        if MEMORY not in requests:
            out.memory = DEFAULT_MEMORY_REQUEST
    return out


def pod_requests(pod: dict, *, non_zero: bool = False) -> Resource:
    """The pod's effective request (``resource.PodRequests``), overhead included.

    With ``non_zero=True``, containers that omit CPU/memory count as 100m / 200Mi,
    the figures the scoring plugins use.
    """
    spec = pod.get("spec") or {}
    total = Resource()
    for container in spec.get("containers") or ():
        total.add(_container_requests(container, non_zero))
    restartable = Resource()
    init_max = Resource()
    for container in spec.get("initContainers") or ():
        reqs = _container_requests(container, non_zero)
        if container.get("restartPolicy") == "Always":
            # A sidecar keeps running next to the app containers and the later init containers.
            total.add(reqs)
            restartable.add(reqs)
            reqs = restartable.copy()
        else:
            reqs.add(restartable)
        init_max.set_max(reqs)
    total.set_max(init_max)
    overhead = spec.get("overhead")
    if overhead:
        total.add(Resource.from_list(overhead))
    return total


def host_ports(pod: dict) -> tuple[tuple[str, str, int], ...]:
    """``(hostIP, protocol, hostPort)`` of every container port with a hostPort.

    An empty hostIP means every address (``0.0.0.0``); the protocol defaults to TCP,
    as ``HostPortInfo.Add`` sanitises them.

    >>> host_ports({"spec": {"containers": [{"ports": [{"containerPort": 80, "hostPort": 8080}]}]}})
    (('0.0.0.0', 'TCP', 8080),)
    """
    spec = pod.get("spec") or {}
    out = []
    # Only sidecar init containers run for the pod's whole life (schedutil.GetHostPorts).
    sidecars = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for container in [*sidecars, *(spec.get("containers") or ())]:
        for port in container.get("ports") or ():
            number = port.get("hostPort") or 0
            if number > 0:
                out.append(
                    (port.get("hostIP") or "0.0.0.0", port.get("protocol") or "TCP", int(number))
                )
    return tuple(out)
