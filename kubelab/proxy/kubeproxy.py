"""kube-proxy: one per node, programming that node's service rules from Services and EndpointSlices.

Every kube-proxy watches the same two kinds, so, like client-go's shared informers, they share
one :class:`ServiceChangeTracker`: it subscribes once, keeps indexes (slices per service, which
service owns a ClusterIP, a node port, a load-balancer IP) and a change counter per service.
Each :class:`KubeProxy` keeps its own rule table per service and recomputes a service's entry
only when that service's counter moved (upstream's ``ServiceChangeTracker`` /
``EndpointsChangeTracker`` partial sync): a pod event touches one service, never the whole table.

Rules take effect as soon as the API server publishes the change (upstream syncs within
``minSyncPeriod``, 1 s by default; kubelab's proxies are instant: a documented simplification).

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> ctx = Context(clock, api, InformerFactory(api), seed=0)
>>> proxy = KubeProxy(ctx, "node-1"); proxy.start()
>>> _ = api.client("kubectl").create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
...     "spec": {"clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"], "ports": [{"port": 80}]}})
>>> proxy.route_cluster_ip("10.96.0.20", 80, client="10.244.1.9").verdict
'REJECT'
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass

from kubelab.proxy.rules import Iptables, Ipvs, ServicePortRules, service_port_rules
from kubelab.sim import rng

__all__ = ["MODES", "KubeProxy", "Route", "ServiceChangeTracker"]

MODES = {"iptables": Iptables, "ipvs": Ipvs}
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SLICE_INDEX = "kube-proxy:service"  # every slice of a service, whoever manages it


def _slice_service(obj: dict):
    name = (obj["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
    return ((obj["metadata"].get("namespace", ""), name),) if name else ()


class ServiceChangeTracker:
    """What every kube-proxy of a cluster watches, indexed once (shared per informer factory)."""

    _shared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def for_informers(cls, informers) -> ServiceChangeTracker:
        tracker = cls._shared.get(informers)
        if tracker is None:
            tracker = cls._shared[informers] = cls(informers)
        return tracker

    def __init__(self, informers):
        self.services = informers.get("Service")
        self.slices = informers.get("EndpointSlice")
        self.slices.add_index(SLICE_INDEX, _slice_service)
        # (namespace, name) → when it last changed (one counter for all: a Service deleted and
        # made again never matches a rule table cached for the old one); only live Services
        self.version: dict = {}
        self._changes = itertools.count(1)
        self.cluster_ips: dict = {}  # ip → service key
        self.node_ports: dict = {}  # (port, protocol) → service key
        self.lb_ips: dict = {}  # ip → service key
        for svc in self.services.list():
            self._index(svc, add=True)
        self.services.add_handler(self._svc_added, self._svc_updated, self._svc_deleted)
        self.slices.add_handler(self._slice_changed, self._slice_updated, self._slice_changed)

    # -- indexes -----------------------------------------------------------------------------
    def _index(self, svc: dict, *, add: bool) -> None:
        key = (svc["metadata"].get("namespace", ""), svc["metadata"]["name"])
        spec = svc.get("spec") or {}
        entries = [
            (self.cluster_ips, ip) for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]
        ]
        entries += [
            (self.node_ports, (p.get("nodePort"), p.get("protocol") or "TCP"))
            for p in spec.get("ports") or ()
        ]
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        entries += [(self.lb_ips, i.get("ip")) for i in ingress]
        for table, value in entries:
            if value in (None, "", "None") or (isinstance(value, tuple) and value[0] is None):
                continue
            if add:
                table[value] = key
            elif table.get(value) == key:
                del table[value]
        self._changed(key)

    def _changed(self, key) -> None:
        if self.services.get(*key) is None:
            self.version.pop(key, None)
        else:
            self.version[key] = next(self._changes)

    def _svc_added(self, svc: dict) -> None:
        self._index(svc, add=True)

    def _svc_updated(self, old: dict, new: dict) -> None:
        self._index(old, add=False)
        self._index(new, add=True)

    def _svc_deleted(self, svc: dict) -> None:
        self._index(svc, add=False)

    def _slice_changed(self, obj: dict) -> None:
        for key in _slice_service(obj):
            self._changed(key)

    def _slice_updated(self, old: dict, new: dict) -> None:
        keys = set(_slice_service(old)) | set(_slice_service(new))
        for key in sorted(keys, key=str):
            self._changed(key)

    # -- reading -----------------------------------------------------------------------------
    def service(self, key) -> dict | None:
        return self.services.get(*key)

    def slices_of(self, key) -> list[dict]:
        return sorted(self.slices.by_index(SLICE_INDEX, key), key=lambda s: s["metadata"]["name"])


@dataclass
class Route:
    """What a node's rules do with one connection.

    ``verdict`` is ``"ACCEPT"`` (DNAT to ``endpoint``), ``"REJECT"`` (no endpoints: connection
    refused), ``"DROP"`` (none local under a Local policy: the client times out) or ``"NONE"``
    (no rule matches this address: nothing answers, the client times out).
    """

    verdict: str
    endpoint: object = None
    rules: ServicePortRules | None = None
    snat: bool = False


class KubeProxy:
    """The kube-proxy of one node.

    Parameters
    ----------
    ctx : Context
    node : str
        The node it runs on (decides which endpoints are local).
    mode : {"iptables", "ipvs"}
    """

    def __init__(self, ctx, node: str, mode: str = "iptables"):
        if mode not in MODES:
            raise ValueError(f'unknown proxy mode "{mode}": use "iptables" or "ipvs"')
        self.node, self.mode = node, mode
        self.clock = ctx.clock
        self.tracker = ServiceChangeTracker.for_informers(ctx.informers)
        self.balancer = MODES[mode](rng(ctx.seed, f"kube-proxy/{node}"))
        self.running = False
        self._table: dict = {}  # service key → (version, [ServicePortRules])
        self.syncs = 0  # how many service entries were (re)computed

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<KubeProxy {self.node} mode={self.mode} {state}>"

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    # -- the rule table ----------------------------------------------------------------------
    def rules(self, key) -> list[ServicePortRules]:
        """The rules of one service ``(namespace, name)``, recomputed only if it changed."""
        version = self.tracker.version.get(key, 0)
        cached = self._table.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        svc = self.tracker.service(key)
        if svc is None:  # gone: nothing to cache for it
            self._table.pop(key, None)
            return []
        rules = service_port_rules(svc, self.tracker.slices_of(key), self.node) if svc else []
        self._table[key] = (version, rules)
        self.syncs += 1
        return rules

    def table(self) -> list[ServicePortRules]:
        """Every service port's rules on this node, sorted (what ``iptables-save`` would show)."""
        keys = sorted(
            self.tracker.services.list(),
            key=lambda s: (s["metadata"].get("namespace", ""), s["metadata"]["name"]),
        )
        return [
            r
            for svc in keys
            for r in self.rules((svc["metadata"].get("namespace", ""), svc["metadata"]["name"]))
        ]

    def _port(self, key, match) -> ServicePortRules | None:
        return next((r for r in self.rules(key) if match(r)), None)

    # -- routing one connection --------------------------------------------------------------
    def _choose(self, rules, client, external: bool, local_source: bool = False) -> Route:
        # KUBE-EXT short-circuit: external-destination traffic that starts on this node (its
        # pods or the host) uses the cluster endpoints even under externalTrafficPolicy Local
        targets, verdict = rules.targets(external and not local_source)
        if verdict:
            return Route(verdict, rules=rules)
        chain = (rules.key, external)
        endpoint = self.balancer.pick(
            chain, targets, client, self.clock.now, rules.affinity_seconds
        )
        local = rules.external_local if external else rules.internal_local
        return Route("ACCEPT", endpoint, rules, snat=external and (local_source or not local))

    def route_cluster_ip(self, ip: str, port: int, *, client=None, protocol="TCP") -> Route:
        """A connection from a pod (or the node) on this node to ``ip:port``."""
        key = self.tracker.cluster_ips.get(ip)
        rules = key and self._port(key, lambda r: r.port == port and r.protocol == protocol)
        if not rules:
            return Route("NONE")
        return self._choose(rules, client, external=False)

    def route_node_port(
        self, port: int, *, client=None, protocol="TCP", local_source: bool = False
    ) -> Route:
        """A connection arriving at this node's IP on a node port (``KUBE-NODEPORTS``)."""
        key = self.tracker.node_ports.get((port, protocol))
        rules = key and self._port(key, lambda r: r.node_port == port and r.protocol == protocol)
        if not rules:
            return Route("NONE")
        return self._choose(rules, client, external=True, local_source=local_source)

    def route_load_balancer(
        self, ip: str, port: int, *, client=None, protocol="TCP", local_source: bool = False
    ) -> Route:
        """A connection the cloud load balancer delivered to this node for ``ip:port``."""
        key = self.tracker.lb_ips.get(ip)
        rules = key and self._port(
            key, lambda r: r.port == port and r.protocol == protocol and ip in r.load_balancer_ips
        )
        if not rules:
            return Route("NONE")
        return self._choose(rules, client, external=True, local_source=local_source)

    def health_check(self, key) -> tuple[int, int]:
        """The ``healthCheckNodePort`` answer for an ``externalTrafficPolicy: Local`` service:
        (HTTP status, local endpoints): 200 with local endpoints, else 503."""
        count = max((len(r.local_endpoints) for r in self.rules(key)), default=0)
        return (200 if count and self.running else 503), count
