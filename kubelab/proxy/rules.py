"""What kube-proxy programs for one service port, and how a connection picks an endpoint.

:func:`service_port_rules` turns a Service and its EndpointSlices into a :class:`ServicePortRules`
(the ``KUBE-SVC-*`` / IPVS virtual server of one port): endpoints deduplicated and sorted by
``IP:port`` as upstream's ``endpointsMapFromEndpointInfo`` does, then split by
:func:`categorize` (``pkg/proxy/topology.go`` ``CategorizeEndpoints``) into the endpoints
cluster-wide traffic may use and those node-local traffic may use. Ready endpoints first; only
if there are none, serving-and-terminating ones (ProxyTerminatingEndpoints, GA 1.28).

:class:`Iptables` picks like the ``-m statistic --mode random --probability`` chain (rule i of
n matches with probability ``1/(n-i)``); :class:`Ipvs` round-robins (scheduler ``rr``). Both
honour ``sessionAffinity: ClientIP`` (``-m recent`` / IPVS persistence) for ``timeoutSeconds``.

Examples
--------
>>> probabilities(3)
['0.3333333333', '0.5000000000', None]
>>> eps = [Endpoint("10.244.1.2", 8080, "node-1", True, True, False, ("default", "a")),
...        Endpoint("10.244.2.2", 8080, "node-2", True, True, False, ("default", "b"))]
>>> cluster, local = categorize(eps, "node-1", local_policy=True)
>>> [e.ip for e in cluster], [e.ip for e in local]
(['10.244.1.2', '10.244.2.2'], ['10.244.1.2'])
>>> rr = Ipvs()
>>> [rr.pick(("svc", 80), eps, None, 0.0, 0).ip for _ in range(3)]
['10.244.1.2', '10.244.2.2', '10.244.1.2']
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_AFFINITY_SECONDS",
    "Endpoint",
    "Iptables",
    "Ipvs",
    "ServicePortRules",
    "categorize",
    "probabilities",
    "service_port_rules",
]

DEFAULT_AFFINITY_SECONDS = 10800  # DefaultClientIPServiceAffinitySeconds


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of a service port, as kube-proxy's ``BaseEndpointInfo`` sees it."""

    ip: str
    port: int
    node: str | None
    ready: bool
    serving: bool
    terminating: bool
    pod: tuple | None = None  # (namespace, name) from targetRef
    zone: str | None = None

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass
class ServicePortRules:
    """The rules of one service port on one node (one ``KUBE-SVC-*`` chain / virtual server)."""

    namespace: str
    service: str
    port_name: str
    protocol: str
    port: int
    cluster_ips: tuple = ()
    node_port: int | None = None
    load_balancer_ips: tuple = ()
    external_local: bool = False  # externalTrafficPolicy: Local
    internal_local: bool = False  # internalTrafficPolicy: Local
    affinity_seconds: int | None = None  # sessionAffinity ClientIP → timeoutSeconds
    endpoints: list = field(default_factory=list)  # every endpoint, sorted by IP:port
    cluster_endpoints: list = field(default_factory=list)
    local_endpoints: list = field(default_factory=list)
    has_any_endpoints: bool = False

    @property
    def key(self) -> tuple:
        return (self.namespace, self.service, self.port_name)

    def targets(self, external: bool) -> tuple[list, str]:
        """Endpoints for internal (ClusterIP) or external (NodePort/LB) traffic, and what to do
        when there are none: ``"REJECT"`` (no endpoints at all) or ``"DROP"`` (none local)."""
        local = self.external_local if external else self.internal_local
        chosen = self.local_endpoints if local else self.cluster_endpoints
        if chosen:
            return chosen, ""
        return chosen, "DROP" if (local and self.has_any_endpoints) else "REJECT"


def probabilities(n: int) -> list:
    """The ``--probability`` of each rule of a ``KUBE-SVC-*`` chain (``computeProbability``)."""
    return [f"{1.0 / (n - i):0.10f}" for i in range(n - 1)] + ([None] if n else [])


def categorize(endpoints: list, node: str, *, local_policy: bool) -> tuple[list, list]:
    """``CategorizeEndpoints``: (cluster endpoints, local endpoints) for ``node``."""
    cluster = [e for e in endpoints if e.ready]
    if not cluster:
        cluster = [e for e in endpoints if e.serving and e.terminating]
    if not local_policy:
        return cluster, []
    mine = [e for e in endpoints if e.node == node]
    local = [e for e in mine if e.ready]
    if not local:
        local = [e for e in mine if e.serving and e.terminating]
    return cluster, local


def _port_number(port) -> int | None:
    return port if isinstance(port, int) and port > 0 else None


def service_port_rules(service: dict, slices: list, node: str) -> list[ServicePortRules]:
    """Rules for every port of ``service`` on ``node`` from its EndpointSlices.

    Headless and ExternalName services get none (kube-proxy ignores them).
    """
    spec = service.get("spec") or {}
    meta = service["metadata"]
    ips = tuple(i for i in (spec.get("clusterIPs") or [spec.get("clusterIP")]) if i and i != "None")
    if spec.get("type") == "ExternalName" or not ips:
        return []
    lb_ips = tuple(
        i["ip"]
        for i in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        if i.get("ip")
    )
    external = spec.get("type") in ("NodePort", "LoadBalancer")
    affinity = None
    if spec.get("sessionAffinity") == "ClientIP":
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP")) or {}
        affinity = cfg.get("timeoutSeconds") or DEFAULT_AFFINITY_SECONDS
    external_local = external and spec.get("externalTrafficPolicy") == "Local"
    internal_local = spec.get("internalTrafficPolicy") == "Local"
    out = []
    for port in spec.get("ports") or ():
        name = port.get("name") or ""
        protocol = port.get("protocol") or "TCP"
        by_address: dict = {}
        for s in slices:
            number = next(
                (
                    _port_number(p.get("port"))
                    for p in s.get("ports") or ()
                    if (p.get("name") or "") == name and (p.get("protocol") or "TCP") == protocol
                ),
                None,
            )
            if number is None:
                continue
            for e in s.get("endpoints") or ():
                addresses = e.get("addresses") or ()
                if not addresses:
                    continue
                cond = e.get("conditions") or {}
                ready = cond.get("ready") is not False  # nil means ready (discovery/v1)
                ref = e.get("targetRef") or {}
                ep = Endpoint(
                    addresses[0],
                    number,
                    e.get("nodeName"),
                    ready,
                    cond.get("serving", ready) is not False,
                    bool(cond.get("terminating")),
                    (ref.get("namespace") or meta.get("namespace"), ref["name"])
                    if ref.get("kind", "Pod") == "Pod" and ref.get("name")
                    else None,
                    e.get("zone"),
                )
                if ep.address not in by_address or ep.node == node:
                    by_address[ep.address] = ep
        endpoints = [by_address[a] for a in sorted(by_address)]
        cluster, local = categorize(endpoints, node, local_policy=external_local or internal_local)
        out.append(
            ServicePortRules(
                namespace=meta.get("namespace", ""),
                service=meta["name"],
                port_name=name,
                protocol=protocol,
                port=port.get("port"),
                cluster_ips=ips,
                node_port=port.get("nodePort") if external else None,
                load_balancer_ips=lb_ips if spec.get("type") == "LoadBalancer" else (),
                external_local=external_local,
                internal_local=internal_local,
                affinity_seconds=affinity,
                endpoints=endpoints,
                cluster_endpoints=cluster,
                local_endpoints=local,
                has_any_endpoints=any(e.ready or (e.serving and e.terminating) for e in endpoints),
            )
        )
    return out


class _Affinity:
    """``sessionAffinity: ClientIP``: the endpoint a client last used, until idle too long."""

    def __init__(self):
        self._seen: dict = {}  # (chain, client ip) → (endpoint address, last used)

    def lookup(self, chain, client, candidates, timeout, now):
        hit = self._seen.get((chain, client))
        if hit is None or now - hit[1] > timeout:
            return None
        return next((e for e in candidates if e.address == hit[0]), None)

    def remember(self, chain, client, endpoint, now) -> None:
        self._seen[(chain, client)] = (endpoint.address, now)


class _Balancer:
    """What both modes share: ``sessionAffinity: ClientIP`` first, then the mode's own pick."""

    mode = ""

    def __init__(self):
        self.affinity = _Affinity()

    def pick(self, chain, endpoints: list, client, now: float, affinity_seconds) -> Endpoint:
        sticky = bool(affinity_seconds) and client is not None
        chosen = None
        if sticky:
            chosen = self.affinity.lookup(chain, client, endpoints, affinity_seconds, now)
        if chosen is None:
            chosen = self._choose(chain, endpoints)
        if sticky:
            self.affinity.remember(chain, client, chosen, now)
        return chosen

    def _choose(self, chain, endpoints: list) -> Endpoint:
        raise NotImplementedError


class Iptables(_Balancer):
    """iptables mode: one ``-m statistic --mode random`` rule per endpoint, in order."""

    mode = "iptables"

    def __init__(self, rng=None):
        import random

        super().__init__()
        self.rng = rng or random.Random(0)

    def _choose(self, chain, endpoints: list) -> Endpoint:
        n = len(endpoints)
        for i in range(n - 1):
            if self.rng.random() < 1.0 / (n - i):
                return endpoints[i]
        return endpoints[-1]


class Ipvs(_Balancer):
    """IPVS mode, scheduler ``rr``: each virtual server cycles through its real servers."""

    mode = "ipvs"

    def __init__(self, rng=None):
        super().__init__()
        self._last: dict = {}  # chain → address of the last real server used

    def _choose(self, chain, endpoints: list) -> Endpoint:
        last = self._last.get(chain)
        # ip_vs_rr: the next real server after the last one used (the list may have changed)
        chosen = endpoints[0]
        if last is not None:
            chosen = next((e for e in endpoints if e.address > last), endpoints[0])
        self._last[chain] = chosen.address
        return chosen
