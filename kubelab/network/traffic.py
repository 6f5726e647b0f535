"""Simulated clients sending requests while simulated time runs: ``c.traffic(...)``.

Each request is sent at its own instant (``rps`` per second, evenly spaced, after the cluster's
components have acted at that instant) and follows the real path of a packet:

* ``web``, ``web.shop``, ``web.shop.svc.cluster.local`` (optionally ``:port``): the client's
  resolver asks cluster DNS, then the client's node's kube-proxy DNATs the ClusterIP to an
  endpoint (a headless name gives pod IPs directly; an ExternalName a CNAME out of the cluster);
* ``NODE_IP:NODEPORT``: that node's kube-proxy (``externalTrafficPolicy``);
* a load balancer's IP (``status.loadBalancer.ingress``): the cloud LB sends the connection to a
  node that passes its health check (with ``externalTrafficPolicy: Local``, only nodes with a
  local endpoint), whose kube-proxy picks the endpoint;
* ``host/path``: through the Ingress controller (``kubelab.ingress.route_request``), which,
  like ingress-nginx, sends to the backend Service's ready endpoints in turn;
* ``localhost:PORT`` from a pod: another container of the same pod (a sidecar).

A pod answers only while a container listens on the port (see :mod:`kubelab.network.runtime`);
the answer carries the image's version, latency and error rate (the image catalogue).

Statuses: an HTTP code (200, 500, 503, 404 ...) or ``"connection refused"`` (no endpoints, or
nothing listening), ``"timeout"`` (dropped, node down, pod gone), ``"could not resolve host"``,
``"external"`` (an ExternalName's CNAME leads out of the simulated cluster).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web, labels: {app: web}}
... spec: {containers: [{name: web, image: "kubelab/web:v1"}]}
... ---
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
... ''')
>>> t = c.run(20).traffic("web", rps=2, duration=1)
>>> t[["time", "pod", "version", "status"]].values.tolist()
[[20.0, 'web', 'v1', 200], [20.5, 'web', 'v1', 200]]
>>> c.traffic("nosuch", rps=1, duration=1)["status"].tolist()
['could not resolve host']
"""

from __future__ import annotations

from kubelab.errors import Invalid, KubelabError, NotFound
from kubelab.network.request import (
    COLUMNS,
    EXTERNAL_IP,
    HOP_SECONDS,
    REFUSED_SECONDS,
    Client,
    Request,
    _is_ip,
    _split_port,
)
from kubelab.network.runtime import Listener, find_pod, listener
from kubelab.sim import LATE, rng

__all__ = ["COLUMNS", "Client", "TrafficEngine"]


class TrafficEngine:
    """Sends requests for one cluster (``c.traffic`` uses the cluster's engine).

    Its random streams (iptables' random choice lives in each kube-proxy; application errors
    and latency jitter here) are seeded from the cluster's seed.
    """

    def __init__(self, cluster):
        self.c = cluster
        self.rng = rng(cluster.seed, "traffic")
        self._turn: dict = {}  # round-robin positions (LB nodes, ingress backends, DNS answers)
        self._node_ips: dict = {}  # node IP → node name, refreshed when nodes come or go
        self._nodes_seen: tuple = ()

    def node_by_ip(self, ip: str) -> str | None:
        """The node whose InternalIP is ``ip`` (kubelets know their node's address)."""
        names = tuple(self.c.kubelets)
        if names != self._nodes_seen:
            self._nodes_seen = names
            self._node_ips = {k.node_ip: n for n, k in sorted(self.c.kubelets.items())}
        return self._node_ips.get(ip)

    # -- the public entry point ------------------------------------------------------------------
    def run(
        self,
        target: str,
        *,
        rps: float,
        duration: float,
        client: str | None = None,
        namespace: str = "default",
        timeout: float = 1.0,
    ):
        """Send ``rps`` requests per second to ``target`` for ``duration`` simulated seconds.

        Returns a DataFrame with one row per request (see :data:`COLUMNS`).
        """
        import pandas as pd

        if not isinstance(target, str) or not target.strip():
            raise Invalid(
                message="error: traffic needs a target (a Service name, host/path, IP:PORT)"
            )
        if rps <= 0 or duration < 0:
            raise ValueError("rps must be > 0 and duration >= 0")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        target = target.strip()
        sender = self.client(client, namespace=namespace, target=target)
        text = target.split("://", 1)[-1]
        if "/" not in text:
            host, _ = _split_port(text)  # a bad port fails here, before any time runs
            if host in ("localhost", "127.0.0.1") and sender.pod is None:
                raise Invalid(
                    message="error: localhost traffic needs client=<pod>: a container reaches "
                    "its pod's other containers on localhost"
                )
        start = self.c.now
        count = round(rps * duration)
        rows: list = []
        for i in range(count):
            self.c.clock.call_at(
                start + i / rps, self._send, sender, target, timeout, rows, priority=LATE
            )
        self.c.run(duration)
        return pd.DataFrame(rows, columns=COLUMNS)

    # -- clients -----------------------------------------------------------------------------------
    def client(self, name: str | None, *, namespace: str = "default", target: str = "") -> Client:
        """The sender: a pod name (``name`` or ``namespace/name``), ``"external"``, or the default."""
        outside = _looks_external(self, target)
        if name is None:
            name = "external" if outside else None
        if name == "external":
            return Client("external", EXTERNAL_IP, None, namespace)
        if name is None:
            nodes = sorted(n for n, k in self.c.kubelets.items() if k.running)
            if not nodes:
                raise KubelabError("error: no running node to send in-cluster traffic from")
            node = nodes[0]
            return Client("client", self.c.kubelets[node].node_ip, node, namespace)
        ns, _, pod_name = name.rpartition("/")
        ns = ns or namespace
        pod = self.c.informers.get("Pod").get(ns, pod_name)
        if pod is None:
            raise NotFound("pods", pod_name)
        node = (pod.get("spec") or {}).get("nodeName")
        ip = (pod.get("status") or {}).get("podIP")
        if not node or not ip:
            raise KubelabError(f'error: pod "{pod_name}" has no IP yet: it cannot send traffic')
        return Client(pod_name, ip, node, ns, (ns, pod_name))

    # -- one request -------------------------------------------------------------------------------
    def _send(self, client: Client, target: str, timeout: float, rows: list) -> None:
        now = self.c.now
        req = Request(client)
        try:
            self._route(req, client, target, timeout)
        except KubelabError as error:  # e.g. no Ingress controller: one clear status per request
            req.fail(str(error), timeout)
        rows.append(
            (
                now,
                client.name,
                target,
                req.pod,
                req.node,
                req.version,
                req.status,
                round(req.latency, 6),
                " → ".join(req.hops),
                req.service,
                req.endpoint,
                req.container,
            )
        )

    def _route(self, req: Request, client: Client, target: str, timeout: float) -> None:
        scheme = "http"
        for prefix in ("http://", "https://"):
            if target.startswith(prefix):
                scheme, target = prefix[:-3], target[len(prefix) :]
        if "/" in target:
            host, _, path = target.partition("/")
            return self._ingress(req, client, host, "/" + path, scheme, timeout)
        host, port = _split_port(target)
        if host in ("localhost", "127.0.0.1"):
            return self._localhost(req, client, port or 80, timeout)
        if _is_ip(host):
            return self._to_ip(req, client, host, port, timeout)
        return self._to_name(req, client, host, port, timeout)

    # -- destinations ------------------------------------------------------------------------------
    def _localhost(self, req, client: Client, port: int, timeout: float) -> None:
        if client.pod is None:
            raise KubelabError(
                "error: localhost traffic needs client=<pod>: a container reaches "
                "its pod's other containers on localhost"
            )
        req.hop(f"localhost:{port}")
        pod = self.c.informers.get("Pod").get(*client.pod)
        ip = ((pod or {}).get("status") or {}).get("podIP")
        self._deliver(req, client.node, ip, port, timeout)

    def _to_name(self, req, client: Client, host: str, port, timeout: float) -> None:
        if not client.inside:
            req.hop(f"DNS {host}: not found (cluster DNS answers only inside the cluster)")
            return req.fail("could not resolve host", timeout)
        answer = self.c.dns.resolve(host, client.namespace)
        if not answer.found:
            req.hop(f"DNS {host}: NXDOMAIN")
            return req.fail("could not resolve host", timeout)
        req.service = "/".join(answer.service) if answer.service else None
        if answer.cname:
            req.hop(f"DNS {answer.name} CNAME {answer.cname}")
            req.hop(f"{answer.cname} (outside the cluster)")
            req.status = "external"
            return None
        addresses = answer.addresses
        if answer.headless:  # CoreDNS's loadbalance plugin rotates the A records
            turn = self._turn.get(("dns", answer.name), -1) + 1
            self._turn[("dns", answer.name)] = turn
            address = addresses[turn % len(addresses)]
            req.hop(f"DNS {answer.name} A {address} (headless)")
            return self._deliver(req, None, address, port or 80, timeout)
        req.hop(f"DNS {answer.name} A {addresses[0]}")
        return self._cluster_ip(req, client, addresses[0], port, timeout)

    def _to_ip(self, req, client: Client, ip: str, port, timeout: float) -> None:
        tracker = self._tracker()
        node = self.node_by_ip(ip)
        if node is not None:
            return self._node_port(req, client, node, port or 80, timeout)
        if ip in tracker.lb_ips:
            return self._load_balancer(req, client, ip, port, timeout)
        if ip in tracker.cluster_ips:
            if not client.inside:
                req.hop(f"{ip} (a ClusterIP: not routable from outside the cluster)")
                return req.fail("timeout", timeout)
            return self._cluster_ip(req, client, ip, port, timeout)
        if client.inside:
            return self._deliver(req, None, ip, port or 80, timeout)
        req.hop(f"{ip}: no route from outside the cluster")
        return req.fail("timeout", timeout)

    def _default_port(self, key, port):
        if port is not None:
            return port
        svc = self._tracker().service(key) if key else None
        ports = [p.get("port") for p in ((svc or {}).get("spec") or {}).get("ports") or ()]
        return 80 if 80 in ports or not ports else ports[0]

    def _cluster_ip(self, req, client: Client, ip: str, port, timeout: float) -> None:
        key = self._tracker().cluster_ips.get(ip)
        port = self._default_port(key, port)
        proxy = self.c.proxies.get(client.node)
        req.hop(f"kube-proxy ({client.node}, {proxy.mode if proxy else '-'}) {ip}:{port}")
        if proxy is None or not proxy.running:
            return req.fail("timeout", timeout)
        route = proxy.route_cluster_ip(ip, port, client=client.ip)
        self._after_proxy(req, route, timeout, refused_if_none=False)

    def _node_port(self, req, client: Client, node: str, port: int, timeout: float) -> None:
        kubelet, proxy = self.c.kubelets[node], self.c.proxies.get(node)
        req.hop(f"{node} {kubelet.node_ip}:{port}")
        if not kubelet.running or proxy is None or not proxy.running:
            return req.fail("timeout", timeout)
        route = proxy.route_node_port(port, client=client.ip, local_source=client.node == node)
        req.hop(f"kube-proxy ({node}, {proxy.mode})")
        self._after_proxy(req, route, timeout, refused_if_none=True)

    def _load_balancer(self, req, client: Client, ip: str, port, timeout: float) -> None:
        key = self._tracker().lb_ips[ip]
        port = self._default_port(key, port)
        if client.inside:  # kube-proxy on the sender's node captures the LB IP itself
            proxy = self.c.proxies.get(client.node)
            req.hop(f"kube-proxy ({client.node}, {proxy.mode if proxy else '-'}) {ip}:{port}")
            if proxy is None or not proxy.running:
                return req.fail("timeout", timeout)
            route = proxy.route_load_balancer(ip, port, client=client.ip, local_source=True)
            return self._after_proxy(req, route, timeout, refused_if_none=False)
        req.hop(f"load balancer {ip}:{port}")
        svc = self._tracker().service(key) or {}
        local = (svc.get("spec") or {}).get("externalTrafficPolicy") == "Local"
        healthy = []
        for name in sorted(self.c.kubelets):
            proxy = self.c.proxies.get(name)
            if not self.c.kubelets[name].running or proxy is None or not proxy.running:
                continue
            if local and proxy.health_check(key)[0] != 200:  # healthCheckNodePort says 503
                continue
            healthy.append(name)
        if not healthy:
            return req.fail("timeout", timeout)
        turn = self._turn.get(("lb", ip), -1) + 1
        self._turn[("lb", ip)] = turn
        node = healthy[turn % len(healthy)]
        proxy = self.c.proxies[node]
        req.hop(f"{node} → kube-proxy ({proxy.mode})")
        route = proxy.route_load_balancer(ip, port, client=client.ip)
        self._after_proxy(req, route, timeout, refused_if_none=False)

    def _after_proxy(self, req, route, timeout: float, *, refused_if_none: bool) -> None:
        if route.rules is not None:
            req.service = f"{route.rules.namespace}/{route.rules.service}"
        if route.verdict == "ACCEPT":
            ep = route.endpoint
            req.hop(f"DNAT {ep.address}" + (" (SNAT)" if route.snat else ""))
            return self._deliver(req, ep.node, ep.ip, ep.port, timeout)
        if route.verdict == "REJECT" or (route.verdict == "NONE" and refused_if_none):
            req.hop("REJECT (no endpoints)" if route.verdict == "REJECT" else "no rule")
            return req.fail("connection refused", timeout)
        req.hop("DROP (no local endpoints)" if route.verdict == "DROP" else "no rule")
        return req.fail("timeout", timeout)

    def _ingress(
        self, req, client: Client, host: str, path: str, scheme: str, timeout: float
    ) -> None:
        try:
            from kubelab.ingress import route_request
        except ImportError:
            raise KubelabError("error: this cluster has no Ingress controller") from None
        result = route_request(self.c.api, host=host, path=path, scheme=scheme)
        name = getattr(result, "ingress", None)
        req.hop(f"ingress {name}" if name else "ingress controller")
        if result.status is not None:
            req.status = result.status
            req.latency += HOP_SECONDS
            return None
        key = (result.namespace, result.service)
        req.service = f"{result.namespace}/{result.service}"
        svc = self._tracker().service(key)
        rules = []
        if svc is not None:
            from kubelab.proxy.rules import service_port_rules

            rules = [
                r
                for r in service_port_rules(svc, self._tracker().slices_of(key), "")
                if result.port in (r.port, r.port_name)
            ]
        endpoints = rules[0].cluster_endpoints if rules else []
        if not endpoints:  # ingress-nginx: "503 Service Temporarily Unavailable"
            req.hop(f"{req.service}: no endpoints")
            req.status = 503
            req.latency += HOP_SECONDS
            return None
        turn = self._turn.get(("ingress", key, result.port), -1) + 1
        self._turn[("ingress", key, result.port)] = turn
        ep = endpoints[turn % len(endpoints)]
        req.hop(f"{req.service} endpoint {ep.address}")
        found = self._deliver(req, ep.node, ep.ip, ep.port, timeout, http_errors=True)
        return found

    # -- the last hop: a pod ----------------------------------------------------------------------
    def _deliver(self, req, node, ip, port, timeout: float, *, http_errors: bool = False) -> None:
        now = self.c.now
        if node is None:
            node = next(
                (n for n, k in sorted(self.c.kubelets.items()) if k.running and find_pod(k, ip)),
                None,
            )
        req.endpoint = f"{ip}:{port}"
        if node is None and self._is_api_server(ip, port):
            # the kube-apiserver behind the `kubernetes` Service: a request without
            # credentials is system:anonymous, which may not GET /
            req.hop(f"kube-apiserver {ip}:{port}")
            req.status, req.latency = 403, req.latency + 0.002
            return
        found: Listener = listener(self.c.kubelets, node, ip, port, now)
        req.pod, req.node, req.container = found.pod, node, found.container
        req.hop(f"pod {found.pod or ip} ({node or '?'})")
        if found.status is not None:
            if http_errors:  # a proxy in front (ingress-nginx) turns it into 502 / 504
                req.status = 504 if found.status == "timeout" else 502
                req.latency = (
                    timeout if found.status == "timeout" else req.latency + REFUSED_SECONDS
                )
                return
            return req.fail(found.status, timeout)
        image = found.image
        req.version = image.version if image else None
        latency_ms = image.latency_ms if image else 5.0
        req.latency += latency_ms / 1000.0 * (0.8 + 0.4 * self.rng.random())
        error_rate = image.error_rate if image else 0.0
        req.status = 500 if error_rate and self.rng.random() < error_rate else 200
        if req.latency >= timeout:
            req.status, req.latency = "timeout", timeout

    def _is_api_server(self, ip: str, port: int) -> bool:
        for s in self._tracker().slices_of(("default", "kubernetes")):
            ports = {p.get("port") for p in s.get("ports") or ()}
            if port in ports and any(
                ip in (e.get("addresses") or ()) for e in s.get("endpoints") or ()
            ):
                return True
        return False

    def _tracker(self):
        from kubelab.proxy.kubeproxy import ServiceChangeTracker

        return ServiceChangeTracker.for_informers(self.c.informers)


def _looks_external(engine, target: str) -> bool:
    """Targets a client outside the cluster uses by default: node ports, LB IPs, host/path."""
    text = target.split("://", 1)[-1]
    if "/" in text:
        return True
    host = text.rpartition(":")[0] if ":" in text else text
    if not _is_ip(host):
        return False
    if engine.node_by_ip(host) is not None:
        return True
    return host in engine._tracker().lb_ips
