"""Cluster DNS (what CoreDNS's ``kubernetes`` plugin answers) and a pod's resolver.

Records (the Kubernetes DNS specification, ``cluster.local`` zone):

* ``<svc>.<ns>.svc.cluster.local`` A → the ClusterIP(s);
* headless (``clusterIP: None``) → the addresses of its ready endpoints (all of them with
  ``publishNotReadyAddresses``), from its EndpointSlices;
* ExternalName → a CNAME to ``spec.externalName`` (the outside name; kubelab has no outside DNS);
* ``<hostname>.<svc>.<ns>.svc.cluster.local`` → the headless endpoint with that ``hostname``
  (pods with ``spec.hostname`` and ``spec.subdomain``, StatefulSet pods);
* ``<a-b-c-d>.<ns>.pod.cluster.local`` → ``a.b.c.d`` (CoreDNS's ``pods insecure`` mode);
* anything else in the zone → NXDOMAIN.

A pod's ``/etc/resolv.conf`` (``dnsPolicy: ClusterFirst``) has ``nameserver 10.96.0.10``,
``search <ns>.svc.cluster.local svc.cluster.local cluster.local`` and ``options ndots:5``: a
name with fewer than 5 dots is tried with each search suffix first, then as written.
CoreDNS itself runs as a control-plane add-on here (no ``coredns`` pods: a simplification, so
every lesson's pod lists stay small).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: db}
... spec: {type: ExternalName, externalName: db.example.com}
... ''')
>>> answer = c.dns.resolve("db")
>>> answer.name, answer.cname, answer.rcode
('db.default.svc.cluster.local', 'db.example.com', 'NOERROR')
>>> c.dns.resolve("nosuch").rcode
'NXDOMAIN'
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from kubelab.network.request import _is_ip  # IPv4, as Go's net.ParseIP reads it

__all__ = ["CLUSTER_DOMAIN", "DNS_SERVICE_IP", "Answer", "ClusterDNS", "search_path"]

CLUSTER_DOMAIN = "cluster.local"
DNS_SERVICE_IP = "10.96.0.10"  # kubeadm's kube-dns ClusterIP (10th address of 10.96.0.0/12)
NDOTS = 5


def search_path(namespace: str, domain: str = CLUSTER_DOMAIN) -> list[str]:
    """The ``search`` line of a ClusterFirst pod's resolv.conf."""
    return [f"{namespace}.svc.{domain}", f"svc.{domain}", domain]


@dataclass
class Answer:
    """The outcome of resolving one name: the FQDN that answered, its CNAME or addresses."""

    query: str
    name: str
    rcode: str = "NOERROR"  # NOERROR | NXDOMAIN
    addresses: list = field(default_factory=list)
    cname: str | None = None
    service: tuple | None = None  # (namespace, name) of the Service that answered
    headless: bool = False
    tried: list = field(default_factory=list)  # every FQDN asked, in order

    @property
    def found(self) -> bool:
        return self.rcode == "NOERROR"


class ClusterDNS:
    """The cluster's DNS server, reading Services and EndpointSlices through informers."""

    _by_api: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, ctx, *, domain: str = CLUSTER_DOMAIN, ip: str = DNS_SERVICE_IP):
        from kubelab.proxy.kubeproxy import ServiceChangeTracker

        self.domain, self.ip = domain, ip
        self.tracker = ServiceChangeTracker.for_informers(ctx.informers)
        self.queries = 0
        ClusterDNS._by_api[ctx.api] = self

    @classmethod
    def for_api(cls, api) -> ClusterDNS:
        """The DNS server of the cluster around ``api`` (one is made if the cluster has none)."""
        server = cls._by_api.get(api)
        if server is None:
            from kubelab.client import InformerFactory
            from kubelab.controllers import Context

            server = cls(Context(api.clock, api, InformerFactory(api)))
        return server

    # -- the server ------------------------------------------------------------------------------
    def lookup(self, fqdn: str) -> Answer:
        """Answer one fully qualified name (no search path)."""
        self.queries += 1
        name = fqdn.rstrip(".").lower()
        answer = Answer(fqdn, name, rcode="NXDOMAIN", tried=[name])
        pod_suffix = f".pod.{self.domain}"
        if name.endswith(pod_suffix):  # CoreDNS "pods insecure": 10-244-1-5.<ns>.pod.cluster.local
            parts = name[: -len(pod_suffix)].split(".")
            address = parts[0].replace("-", ".") if len(parts) == 2 else ""
            if _is_ip(address):
                answer.rcode, answer.addresses = "NOERROR", [address]
            return answer
        suffix = f".svc.{self.domain}"
        if not name.endswith(suffix):
            return answer
        parts = name[: -len(suffix)].split(".")
        hostname = None
        if len(parts) == 3:  # <hostname>.<svc>.<ns>: one endpoint of a headless Service
            hostname, parts = parts[0], parts[1:]
        if len(parts) != 2:
            return answer
        svc_name, namespace = parts
        svc = self.tracker.service((namespace, svc_name))
        if svc is None:
            return answer
        spec = svc.get("spec") or {}
        answer.service = (namespace, svc_name)
        if spec.get("type") == "ExternalName":
            answer.rcode, answer.cname = "NOERROR", spec.get("externalName")
            return answer
        ips = [i for i in spec.get("clusterIPs") or [spec.get("clusterIP")] if i]
        if ips and ips != ["None"]:
            if hostname is None:
                answer.rcode, answer.addresses = "NOERROR", ips
            return answer
        answer.headless = True
        publish_all = bool(spec.get("publishNotReadyAddresses"))
        seen = set()  # a set: a large headless service is not a quadratic scan
        for s in self.tracker.slices_of((namespace, svc_name)):
            for e in s.get("endpoints") or ():
                ready = (e.get("conditions") or {}).get("ready") is not False
                if hostname is not None and e.get("hostname") != hostname:
                    continue
                if ready or publish_all:
                    seen.update((e.get("addresses") or ())[:1])
        if seen:  # a headless service without ready endpoints has no records: NXDOMAIN
            answer.rcode, answer.addresses = "NOERROR", sorted(seen)
        return answer

    # -- the pod's resolver ----------------------------------------------------------------------
    def resolve(self, name: str, namespace: str = "default") -> Answer:
        """Resolve ``name`` as a pod in ``namespace`` would (search path, ndots:5).

        Examples
        --------
        >>> import kubelab as kl
        >>> dns = kl.Cluster(nodes=0, seed=0).dns
        >>> dns.resolve("web", "shop").tried
        ['web.shop.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']
        """
        name = name.strip()
        tried: list[str] = []
        candidates = []
        if name.endswith("."):
            candidates = [name.rstrip(".")]
        else:
            searched = [f"{name}.{s}" for s in search_path(namespace, self.domain)]
            candidates = [*searched, name] if name.count(".") < NDOTS else [name, *searched]
        last = None
        for fqdn in candidates:
            answer = self.lookup(fqdn)
            tried.append(answer.name)
            if answer.found:
                answer.query, answer.tried = name, tried
                return answer
            last = answer
        last.query, last.tried = name, tried
        last.name = name.rstrip(".").lower()
        return last
