"""The Service registry's cluster-IP allocator (``pkg/registry/core/service/ipallocator``).

Every ``ClusterIP``, ``NodePort`` and ``LoadBalancer`` Service gets a virtual IP from the
service CIDR (kubeadm's default ``10.96.0.0/12``); ``10.96.0.1`` is the ``kubernetes``
Service's. A requested ``spec.clusterIP`` is honoured if free and in range, else refused
with upstream's message. ``clusterIP: None`` makes a headless Service; ExternalName
Services get no IP. IPs come back when a Service is deleted or stops needing one (the
allocator watches the store, as upstream's repair loop reads it).

Dynamic picks are deterministic: a hash of ``namespace/name`` chooses where to start
looking in the upper part of the range (upstream picks at random there), so a Service
keeps its IP across runs and seeds. The lower band is left for static requests (KEP-3070).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> c.get("service", "kubernetes")["spec"]["clusterIP"]
'10.96.0.1'
>>> svc = c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: db}
... spec: {clusterIP: 10.96.0.5, ports: [{port: 5432}]}
... ''')[0]
>>> svc["spec"]["clusterIPs"], svc["spec"]["ipFamilies"], svc["spec"]["ipFamilyPolicy"]
(['10.96.0.5'], ['IPv4'], 'SingleStack')
"""

from __future__ import annotations

import hashlib
import ipaddress

from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.errors import FieldError, Invalid, KubelabError

__all__ = ["SERVICE_CIDR", "ClusterIPAllocator", "ServiceRegistryPlugin", "stable_offset"]

SERVICE_CIDR = "10.96.0.0/12"
_IP_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")


def stable_offset(key: str, size: int) -> int:
    """A deterministic offset in ``[0, size)`` for ``key`` (never Python's salted ``hash``).

    >>> stable_offset("default/web", 100) == stable_offset("default/web", 100)
    True
    """
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % size


def cluster_ips(spec: dict) -> list:
    """``clusterIPs`` as the registry normalises them (``clusterIP`` first)."""
    ips = [ip for ip in spec.get("clusterIPs") or () if isinstance(ip, str)]
    primary = spec.get("clusterIP")
    if isinstance(primary, str) and primary and (not ips or ips[0] != primary):
        ips = [primary, *ips[1:]]
    return ips


class ServiceRegistryPlugin(AdmissionPlugin):
    """Base of the Service allocators: what each Service holds, kept from the store's watch.

    ``held(service)`` names the resources a stored Service holds; the base keeps
    ``self.owner`` (resource → ``(namespace, name)``) current, so resources come back when
    a Service is deleted or an update stops holding them. It follows the store's staged writes,
    so a transaction's later requests see what its earlier ones took, and a rollback frees it
    (as upstream's allocator transactions revert).
    """

    kinds = ("Service",)

    def __init__(self) -> None:
        self.owner: dict = {}
        self._held: dict[tuple[str, str], tuple] = {}
        self._store = None

    def held(self, service: dict) -> tuple:  # pragma: no cover - overridden
        return ()

    def bind(self, api) -> None:
        """Start following the store (on the first request: the plugin has no api before)."""
        if self._store is api.store:
            return
        self._store = api.store
        self.owner, self._held = {}, {}
        for service in api.store.list("Service"):
            self._claim(service)
        # staged: a Service created earlier in the same transaction holds its IPs and ports
        api.store.watch("Service", self._on_event, staged=True)

    def _claim(self, service: dict) -> None:
        meta = service["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        self._release(key)
        held = tuple(self.held(service))
        self._held[key] = held
        for item in held:
            self.owner[item] = key

    def _release(self, key) -> None:
        for item in self._held.pop(key, ()):
            if self.owner.get(item) == key:
                del self.owner[item]

    def _on_event(self, event: str, obj: dict, old: dict | None) -> None:
        if event == "DELETED":
            meta = obj["metadata"]
            self._release((meta.get("namespace", ""), meta["name"]))
        else:
            self._claim(obj)

    def taken_by_other(self, item, service: dict) -> bool:
        meta = service["metadata"]
        key = (meta.get("namespace", "default"), meta.get("name", ""))
        return item in self.owner and self.owner[item] != key


class ClusterIPAllocator(ServiceRegistryPlugin):
    """Allocate, honour or refuse ``spec.clusterIP`` (mutating: runs before validation)."""

    def __init__(self, cidr: str = SERVICE_CIDR) -> None:
        super().__init__()
        self.network = ipaddress.ip_network(cidr)
        self.cidr = cidr
        self._base = int(self.network.network_address) + 1
        self._size = self.network.num_addresses - 2  # no network, no broadcast address
        # Lower band kept for static IPs: min(max(16, size/16), 256) addresses.
        self._static = min(max(16, self._size // 16), 256)

    def held(self, service: dict) -> tuple:
        spec = service.get("spec") or {}
        if spec.get("type", "ClusterIP") == "ExternalName":
            return ()
        return tuple(ip for ip in cluster_ips(spec) if ip != "None")

    # -- admission ---------------------------------------------------------------------------
    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        self.bind(api)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        kind = spec.get("type", "ClusterIP")
        old_spec = (old or {}).get("spec") or {}
        if old is not None:
            _drop_or_keep_ips(spec, old_spec, kind)
        ips = cluster_ips(spec)
        if ips:
            spec["clusterIP"], spec["clusterIPs"] = ips[0], ips
        if old is None or (kind != "LoadBalancer" and obj.get("status")):
            # PrepareForCreate resets the status; a Service that stops being a
            # LoadBalancer loses its load-balancer status at once (dropTypeDependentFields).
            obj["status"] = {"loadBalancer": {}}
        if kind not in _IP_TYPES:
            if kind == "ExternalName":
                for key in ("ipFamilies", "ipFamilyPolicy"):
                    if old is not None and spec.get(key) == old_spec.get(key):
                        spec.pop(key, None)
            return
        if ips and ips[0] == "None":
            policy = "SingleStack" if spec.get("selector") else "RequireDualStack"
            spec.setdefault("ipFamilyPolicy", policy)
            spec.setdefault("ipFamilies", ["IPv4"])
            return
        if spec.get("ipFamilyPolicy") == "RequireDualStack":
            raise Invalid(
                "Service",
                obj["metadata"].get("name", ""),
                [
                    FieldError.invalid(
                        "spec.ipFamilyPolicy",
                        "RequireDualStack",
                        "this cluster is not configured for dual-stack services",
                    )
                ],
            )
        old_ips = [ip for ip in cluster_ips(old_spec) if ip != "None"]
        if ips and old_ips:
            return  # kept (or changed: validation says "may not change once set")
        if ips:
            self._check_requested(ips, obj)
        else:
            ip = self._next_free(obj)
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")

    # -- allocation --------------------------------------------------------------------------
    def _check_requested(self, ips: list, obj: dict) -> None:
        ip = ips[0]
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return  # not an IP at all: validation reports it
        name = obj["metadata"].get("name", "")
        offset = int(address) - self._base
        if address.version != 4 or not 0 <= offset < self._size:
            detail = (
                f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. "
                f"The range of valid IPs is {self.cidr}"
            )
        elif self.taken_by_other(ip, obj):
            detail = f"failed to allocate IP {ip}: provided IP is already allocated"
        else:
            return
        raise Invalid(
            "Service", name, [FieldError("spec.clusterIPs", "Invalid value", ips, detail)]
        )

    def _next_free(self, obj: dict) -> str:
        meta = obj["metadata"]
        dynamic = self._size - self._static
        start = stable_offset(f"{meta.get('namespace', 'default')}/{meta.get('name', '')}", dynamic)
        # Upper band first (from the hashed start, wrapping), then the lower band.
        for step in range(self._size):
            offset = self._static + (start + step) % dynamic if step < dynamic else step - dynamic
            ip = str(ipaddress.IPv4Address(self._base + offset))
            if ip not in self.owner:
                return ip
        raise KubelabError("Internal error occurred: failed to allocate a serviceIP: range is full")

    def allocated(self) -> list[str]:
        """The IPs in use, sorted (what ``kubectl get svc -A`` would show)."""
        return sorted(self.owner, key=lambda ip: int(ipaddress.ip_address(ip)))


def _drop_or_keep_ips(spec: dict, old_spec: dict, kind: str) -> None:
    """``dropTypeDependentFields`` + ``patchAllocatedValues`` for the cluster IP."""
    old_kind = old_spec.get("type", "ClusterIP")
    same = cluster_ips(spec) == cluster_ips(old_spec)
    if kind == "ExternalName" and old_kind != "ExternalName":
        if same or not cluster_ips(spec):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        return
    if kind != "ExternalName" and old_kind != "ExternalName" and not cluster_ips(spec):
        for key in ("clusterIP", "clusterIPs"):
            if key in old_spec:
                spec[key] = list(old_spec[key]) if key == "clusterIPs" else old_spec[key]
