"""Resource lists as the API machinery computes with them: quantities that print as Go prints
them, pod requests and limits, and what an object costs a ResourceQuota.

Go's ``resource.Quantity`` remembers its format: ``1.5Gi`` prints as ``1536Mi``, ``0.5`` as
``500m``, ``1000`` as ``1k``, and a sum takes the format of its first non-zero term. Messages
such as ``exceeded quota: ..., requested: requests.cpu=500m`` print quantities that way, so
:class:`Qty` keeps an exact value and a binary/decimal flag.

Usage follows ``pkg/quota/v1/evaluator/core``: a pod costs ``pods``, ``count/pods``,
``requests.cpu`` (also plain ``cpu``), ``limits.cpu``, ``requests.memory`` (``memory``),
``limits.memory``, ... while it is not terminal; a Service costs ``services``,
``services.nodeports`` and ``services.loadbalancers``; a claim costs ``persistentvolumeclaims``
and ``requests.storage``; every object costs ``count/<resource>[.<group>]``.

Examples
--------
>>> str(Qty.parse("1.5Gi")), str(Qty.parse("0.5")), str(Qty.parse("1000")), str(Qty.parse("2"))
('1536Mi', '500m', '1k', '2')
>>> str(Qty.parse("500m") + Qty.parse("1"))
'1500m'
>>> pod = {"metadata": {}, "spec": {"containers": [
...     {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"},
...                                 "limits": {"cpu": "500m", "memory": "128Mi"}}},
...     {"name": "b", "resources": {"requests": {"cpu": "250m"}}}]}, "status": {}}
>>> pretty({k: v for k, v in pod_usage(pod).items() if "cpu" in k})
'cpu=500m,limits.cpu=500m,requests.cpu=500m'
"""

from __future__ import annotations

import math
from fractions import Fraction

from kubelab.api import kinds
from kubelab.api.quantity import QuantityError, parse_quantity

__all__ = [
    "Qty",
    "compute_usage",
    "is_terminal",
    "object_usage",
    "pod_limits",
    "pod_requests",
    "pod_usage",
    "pretty",
    "qty_map",
    "tracked_kind",
]

_BINARY = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}


class Qty:
    """An exact quantity that prints like Go's ``resource.Quantity.String()``."""

    __slots__ = ("binary", "value")

    def __init__(self, value: Fraction | int = 0, binary: bool = False):
        self.value = Fraction(value)
        self.binary = binary

    @classmethod
    def parse(cls, text) -> Qty:
        """From a manifest value (``"500m"``, ``"1Gi"``, ``2``); raises ``QuantityError``."""
        value = parse_quantity(text)
        return cls(value, isinstance(text, str) and text.strip().endswith(_BINARY))

    def __add__(self, other: Qty) -> Qty:
        binary = other.binary if self.value == 0 else self.binary
        return Qty(self.value + other.value, binary)

    def __sub__(self, other: Qty) -> Qty:
        return Qty(self.value - other.value, self.binary if self.value else other.binary)

    def __eq__(self, other) -> bool:
        return isinstance(other, Qty) and self.value == other.value

    def __lt__(self, other: Qty) -> bool:
        return self.value < other.value

    def __le__(self, other: Qty) -> bool:
        return self.value <= other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Qty({str(self)!r})"

    def milli(self) -> int:
        """``MilliValue()``: rounded up to a whole milli-unit."""
        return math.ceil(self.value * 1000)

    def __str__(self) -> str:
        # Go rounds up to nano precision before printing.
        value = Fraction(math.ceil(self.value * 10**9), 10**9)
        if value == 0:
            return "0"
        sign, value = ("-", -value) if value < 0 else ("", value)
        if self.binary and value >= 1024 and value.denominator == 1:
            n = int(value)
            for i, suffix in reversed(list(enumerate(_BINARY, start=1))):
                unit = 1024**i
                if n % unit == 0:
                    return f"{sign}{n // unit}{suffix}"
            return f"{sign}{n}"
        for exponent in sorted(_DECIMAL, reverse=True):
            mantissa = value / Fraction(10) ** exponent
            if mantissa.denominator == 1:
                return f"{sign}{mantissa.numerator}{_DECIMAL[exponent]}"
        return f"{sign}{float(value)}"  # pragma: no cover - nano precision always divides


def pretty(resources: dict[str, Qty]) -> str:
    """``prettyPrint``: ``name=value`` sorted by name, comma-separated."""
    return ",".join(f"{k}={resources[k]}" for k in sorted(resources))


def _qty(text) -> Qty | None:
    try:
        return Qty.parse(text)
    except QuantityError:
        return None


def qty_map(values: dict | None) -> dict[str, Qty]:
    """A ``ResourceList`` as quantities; unparseable values (refused by validation) are skipped.

    >>> {k: str(v) for k, v in qty_map({"cpu": "0.5", "memory": "x"}).items()}
    {'cpu': '500m'}
    """
    out = {}
    for name, text in (values or {}).items():
        q = _qty(text)
        if q is not None:
            out[name] = q
    return out


def _container_list(container: dict, key: str) -> dict[str, Qty]:
    return qty_map((container.get("resources") or {}).get(key))


def _aggregate(spec: dict, key: str) -> dict[str, Qty]:
    """``PodRequests``/``PodLimits``: the sum over containers (and restartable init
    containers), at least the largest regular init container, or the pod-level
    ``spec.resources``; plus the pod overhead."""
    total: dict[str, Qty] = {}
    sidecars: dict[str, Qty] = {}
    for c in spec.get("containers") or ():
        for name, q in _container_list(c, key).items():
            total[name] = total.get(name, Qty()) + q
    init_max: dict[str, Qty] = {}
    for c in spec.get("initContainers") or ():
        values = _container_list(c, key)
        if c.get("restartPolicy") == "Always":
            for name, q in values.items():
                total[name] = total.get(name, Qty()) + q
                sidecars[name] = sidecars.get(name, Qty()) + q
            continue
        for name, q in values.items():
            q = q + sidecars.get(name, Qty())
            if name not in init_max or init_max[name] < q:
                init_max[name] = q
    for name, q in init_max.items():
        if name not in total or total[name] < q:
            total[name] = q
    # PodLevelResources (beta, on by default since 1.34): pod-level cpu/memory win
    for name, text in ((spec.get("resources") or {}).get(key) or {}).items():
        q = _qty(text)
        if q is not None and name in ("cpu", "memory"):
            total[name] = q
    for name, text in (spec.get("overhead") or {}).items():
        q = _qty(text)
        if q is not None:
            total[name] = total.get(name, Qty()) + q
    return total


def pod_requests(spec: dict) -> dict[str, Qty]:
    """The pod's effective requests (what the scheduler and quota count)."""
    return _aggregate(spec, "requests")


def pod_limits(spec: dict) -> dict[str, Qty]:
    """The pod's effective limits (resources without a limit in some container still sum)."""
    return _aggregate(spec, "limits")


def is_terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def compute_usage(requests: dict[str, Qty], limits: dict[str, Qty]) -> dict[str, Qty]:
    """``podComputeUsageHelper``: pods=1 and the request/limit names quota knows."""
    out = {"pods": Qty(1)}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            out[name] = requests[name]
            out[f"requests.{name}"] = requests[name]
        if name in limits:
            out[f"limits.{name}"] = limits[name]
    for name, q in requests.items():
        if name.startswith("hugepages-"):
            out[name] = q
            out[f"requests.{name}"] = q
        elif "/" in name and not name.startswith("kubernetes.io/"):
            out[f"requests.{name}"] = q  # extended resources: only requests.<name>
    return out


def pod_usage(pod: dict) -> dict[str, Qty]:
    """``PodUsageFunc``: ``count/pods`` always; compute resources unless the pod is terminal."""
    usage = {"count/pods": Qty(1)}
    if is_terminal(pod):
        return usage
    spec = pod.get("spec") or {}
    usage.update(compute_usage(pod_requests(spec), pod_limits(spec)))
    return usage


def _count_name(kind: str) -> str:
    rt = kinds.lookup(kind)
    plural = rt.plural if rt else kind.lower() + "s"
    group = rt.group if rt else ""
    return f"count/{plural}" + (f".{group}" if group else "")


# Object-count names that predate count/<resource> and are still accepted.
_LEGACY_COUNTS = {
    "Service": "services",
    "ReplicationController": "replicationcontrollers",
    "ResourceQuota": "resourcequotas",
    "Secret": "secrets",
    "ConfigMap": "configmaps",
    "PersistentVolumeClaim": "persistentvolumeclaims",
}


def _service_usage(svc: dict) -> dict[str, Qty]:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    usage = {"services": Qty(1)}
    ports = len(spec.get("ports") or ())
    if kind == "NodePort":
        usage["services.nodeports"] = Qty(ports)
    elif kind == "LoadBalancer":
        usage["services.loadbalancers"] = Qty(1)
        if spec.get("allocateLoadBalancerNodePorts", True):
            usage["services.nodeports"] = Qty(ports)
    return usage


def _claim_usage(pvc: dict) -> dict[str, Qty]:
    spec = pvc.get("spec") or {}
    usage = {"persistentvolumeclaims": Qty(1)}
    storage = _qty(((spec.get("resources") or {}).get("requests") or {}).get("storage", 0))
    if storage is not None:
        usage["requests.storage"] = storage
    sc = spec.get("storageClassName")
    if sc:
        prefix = f"{sc}.storageclass.storage.k8s.io/"
        usage[prefix + "persistentvolumeclaims"] = Qty(1)
        if storage is not None:
            usage[prefix + "requests.storage"] = storage
    return usage


def object_usage(obj: dict) -> dict[str, Qty]:
    """What ``obj`` costs every quota of its namespace (before masking with ``hard``)."""
    kind = obj.get("kind", "")
    if kind == "Pod":
        return pod_usage(obj)
    usage = {_count_name(kind): Qty(1)}
    if kind == "Service":
        usage.update(_service_usage(obj))
    elif kind == "PersistentVolumeClaim":
        usage.update(_claim_usage(obj))
    elif kind in _LEGACY_COUNTS:
        usage[_LEGACY_COUNTS[kind]] = Qty(1)
    return usage


def tracked_kind(kind: str) -> bool:
    """Whether quota tracks objects of ``kind`` at all (every namespaced kind: count/...)."""
    rt = kinds.lookup(kind)
    return rt is not None and rt.namespaced and kind not in ("Event",)
