"""``kl.Cluster``: a whole simulated Kubernetes cluster, wired together.

The cluster owns one clock and one API server; every component (scheduler,
controllers, kubelets) is built on the same :class:`~kubelab.controllers.Context`
and talks to the others only through the API server.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> [n["metadata"]["name"] for n in c.list("nodes")]
['node-1', 'node-2']
>>> _ = c.apply('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web, labels: {app: web}}
... spec:
...   containers: [{name: nginx, image: "nginx:1.25"}]
... ''')
>>> c.run(30).get("pod", "web")["status"]["phase"]
'Running'
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable

from kubelab.apiserver import APIServer
from kubelab.apiserver.events import EVENT_TTL
from kubelab.client import InformerFactory
from kubelab.controllers import Context
from kubelab.errors import AlreadyExists, Invalid, KubelabError, NoKindMatch, NotFound
from kubelab.sim import Clock

__all__ = ["Cluster"]

_SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


class Cluster:
    """A simulated cluster: control plane plus ``nodes`` worker nodes.

    Parameters
    ----------
    nodes : int or list of dict
        How many worker nodes (``node-1`` … ``node-N``), or Node manifests for custom
        capacity, labels and taints.
    seed : int, keyword-only
        Fixes every random choice: the same seed and calls give the same history.
    images : ImageCatalog or dict, optional
        The image catalogue (defaults to the course's, ``data/images.yaml``).
    proxy_mode : {"iptables", "ipvs"}, keyword-only
        How every node's kube-proxy balances: random choice (iptables) or round robin (IPVS).
    max_objects : int, keyword-only
        The most objects the API server stores (Events not counted; default 250,000, above
        Kubernetes' own limit of 150,000 pods). A create past it fails with
        :class:`~kubelab.errors.StorageFull`, so a runaway workload cannot exhaust memory.
    event_ttl : float or None, keyword-only
        Seconds an Event lives after its last write, like kube-apiserver's ``--event-ttl``
        (default one hour); ``None`` keeps every Event.
    keep_history : bool, keyword-only
        Keep everything observed: every Event (no TTL), audit row, history row and metrics
        sample. By default these keep the last hour (:data:`kubelab.sim.RETENTION`), with a
        row cap each, so a long session stays flat in memory.
    """

    def __init__(
        self,
        nodes: int | list[dict] = 3,
        *,
        seed: int = 0,
        images=None,
        proxy_mode: str = "iptables",
        max_objects: int | None = None,
        event_ttl: float | None = EVENT_TTL,
        keep_history: bool = False,
    ):
        from kubelab.apiserver.plugins import ADMISSION_PLUGINS
        from kubelab.controllers.manager import CONTROLLERS
        from kubelab.images import ImageCatalog
        from kubelab.kubelet import Kubelet
        from kubelab.observe import Recorder
        from kubelab.scheduler import Scheduler

        self.seed = seed
        self.clock = Clock()
        if event_ttl is not None and not event_ttl > 0:
            raise ValueError("event_ttl must be a positive number of seconds or None")
        self.keep_history = keep_history
        self.api = APIServer(
            self.clock,
            seed=seed,
            event_ttl=None if keep_history else event_ttl,
            keep_history=keep_history,
        )
        if max_objects is not None:
            self.api.max_objects = _count("max_objects", max_objects)
        self.api.admission.extend(plugin() for plugin in ADMISSION_PLUGINS)
        for ns in _SYSTEM_NAMESPACES:
            self.api.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                user="kube-apiserver",
            )
        from kubelab.apiserver.kubernetes_service import create_kubernetes_service

        create_kubernetes_service(self.api, seed=seed)
        self.informers = InformerFactory(self.api)
        self.images = ImageCatalog.coerce(images)
        self.ctx = Context(
            self.clock, self.api, self.informers, seed, config={"images": self.images}
        )
        self.recorder = Recorder(self.ctx, keep_all=keep_history)
        self.scheduler = Scheduler(self.ctx)
        self.controllers = {cls.name: cls(self.ctx) for cls in CONTROLLERS}
        self._kubelet_class = Kubelet
        self.kubelets: dict[str, Kubelet] = {}
        self._init_network(proxy_mode)
        for manifest in _node_manifests(nodes):
            self.add_node(manifest)
        from kubelab.observe.metrics import AUTO_ENABLE_NODES, MetricsServer

        # metrics-server (kubectl top, c.metrics.frame()); big clusters start it on first use
        self.metrics = MetricsServer(
            self.clock,
            self.kubelets,
            enabled=len(self.kubelets) <= AUTO_ENABLE_NODES,
            keep_all=keep_history,
        )

    # -- time --------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since the cluster started."""
        return self.clock.now

    def run(self, seconds: float) -> Cluster:
        """Advance simulated time by ``seconds``, running every component. Chainable.

        >>> import kubelab as kl
        >>> kl.Cluster(1).run(float("inf"))
        Traceback (most recent call last):
        ...
        ValueError: seconds must be a finite number of simulated seconds, not inf
        """
        seconds = _seconds("seconds", seconds)
        self.clock.run_until(self.clock.now + seconds)
        return self

    def run_until(self, condition: Callable[[Cluster], bool], *, timeout: float) -> Cluster:
        """Advance until ``condition(cluster)`` holds; ``TimeoutError`` after ``timeout`` seconds."""
        timeout = _seconds("timeout", timeout)
        if condition(self):
            return self
        deadline = self.clock.now + timeout
        if self.clock.run_until(deadline, lambda: condition(self)):
            return self
        raise TimeoutError(
            f"condition not met within {timeout:g} simulated seconds (now t={self.now:g}s)"
        )

    # -- objects -----------------------------------------------------------------------------
    def apply(self, source) -> list[dict]:
        """Create or update objects, like ``kubectl apply -f``; returns the stored objects."""
        return [copy.deepcopy(obj) for obj, _action, _doc in self.apply_documents(source)]

    def apply_documents(self, source, *, dry_run: bool = False) -> list[tuple[dict, str, object]]:
        """Like :meth:`apply`, with each object's action (created/configured/unchanged) and document.

        All or nothing: the documents are applied in one API server transaction, so each is
        checked against the state its predecessors made (a Namespace, a quota's usage, a
        taken node port, an object made immutable), and an invalid one changes nothing at
        all. ``dry_run``: the same checks, then every write is undone (actions end in
        ``(server dry run)``).

        Examples
        --------
        >>> import kubelab as kl
        >>> c = kl.Cluster(nodes=1, seed=0)
        >>> two = '''
        ... apiVersion: v1
        ... kind: ResourceQuota
        ... metadata: {name: one-pod}
        ... spec: {hard: {pods: "1"}}
        ... ---
        ... apiVersion: v1
        ... kind: Pod
        ... metadata: {name: a}
        ... spec: {containers: [{name: c, image: nginx}]}
        ... ---
        ... apiVersion: v1
        ... kind: Pod
        ... metadata: {name: b}
        ... spec: {containers: [{name: c, image: nginx}]}
        ... '''
        >>> c.apply_documents(two, dry_run=True)
        Traceback (most recent call last):
        ...
        kubelab.errors.Forbidden: Error from server (Forbidden): pods "b" is forbidden: exceeded quota: one-pod, requested: pods=1, used: pods=1, limited: pods=1
        >>> c.list("resourcequotas"), c.list("pods")
        ([], [])
        """
        from kubelab.api.loader import load

        docs = load(source)
        if not docs:  # kubectl: "error: no objects passed to apply"
            raise Invalid(message="error: no objects passed to apply")
        results = []
        with self.api.transaction(commit=not dry_run):
            for doc in docs:
                try:
                    obj, action = self.api.apply(doc.obj)
                except KubelabError as error:
                    raise _with_origin(error, doc) from None
                results.append((obj, f"{action} (server dry run)" if dry_run else action, doc))
        return results

    def get(self, kind: str, name: str, namespace: str = "default") -> dict:
        """The object as the API server returns it (a copy: changing it changes nothing)."""
        return copy.deepcopy(self.api.get(kind, name, namespace, user="kubectl"))

    def list(
        self, kind: str, namespace: str | None = "default", selector: str | None = None
    ) -> list[dict]:
        """Objects of a kind, sorted by namespace and name; ``namespace=None`` means all namespaces.

        A selector the API server cannot parse raises ``kl.Invalid`` (its BadRequest); an
        unknown kind raises ``kl.NotFound``.
        """
        objs = self.api.list(kind, namespace, selector, user="kubectl")
        objs.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return copy.deepcopy(objs)

    def delete(
        self, kind: str, name: str, namespace: str = "default", propagation: str = "Background"
    ):
        """Delete with Kubernetes' cascading semantics (``Background``, ``Foreground``, ``Orphan``)."""
        result = self.api.delete(kind, name, namespace, user="kubectl", propagation=propagation)
        return copy.deepcopy(result)

    def kubectl(self, command: str) -> str:
        """Run a kubectl command line (without the word ``kubectl``); returns what kubectl prints."""
        from kubelab.kubectl import run

        return run(self, command)

    # -- machines ----------------------------------------------------------------------------
    def add_node(self, manifest_or_name: dict | str) -> dict:
        """Join a new worker node; its kubelet registers it with the API server."""
        manifest = _node_manifest(manifest_or_name)
        name = manifest["metadata"]["name"]
        if name in self.kubelets:
            raise AlreadyExists("nodes", name)
        kubelet = self._kubelet_class(self.ctx, manifest)
        self.kubelets[name] = kubelet
        kubelet.start()
        self._start_proxy(name)
        return copy.deepcopy(self.api.get("Node", name))

    def remove_node(self, name: str) -> None:
        """Shut the node down and delete its Node object (its pods are garbage-collected)."""
        kubelet = self._kubelet(name)
        kubelet.stop()
        self.proxies.pop(name).stop()
        del self.kubelets[name]
        self.api.delete("Node", name, user="kubectl")

    def fail_node(self, name: str) -> None:
        """The node's kubelet stops: no heartbeats, no pods. The control plane finds out itself."""
        self._kubelet(name).stop()
        self.proxies[name].stop()

    def restore_node(self, name: str) -> None:
        """The node's kubelet comes back and resumes heartbeats."""
        self._kubelet(name).start()
        self.proxies[name].start()

    def kill_pod(self, name: str, namespace: str = "default") -> None:
        """The pod disappears as if its node lost it; controllers react."""
        pod = self.api.get("Pod", name, namespace)
        kubelet = self.kubelets.get(pod["spec"].get("nodeName") or "")
        if kubelet is not None and hasattr(kubelet, "lose_pod"):
            kubelet.lose_pod(pod)
        else:
            self.api.delete("Pod", name, namespace, user="kubelab", grace_period=0)

    # -- the network: kube-proxy on every node, cluster DNS, traffic ---------------------------
    def _init_network(self, proxy_mode: str) -> None:
        from kubelab.dns import ClusterDNS
        from kubelab.proxy import MODES

        if proxy_mode not in MODES:
            raise ValueError(f'proxy_mode must be "iptables" or "ipvs", not {proxy_mode!r}')
        self.proxy_mode = proxy_mode
        self.proxies: dict = {}  # node name → KubeProxy
        self.dns = ClusterDNS(self.ctx)
        self._traffic = None

    def _start_proxy(self, node: str) -> None:
        from kubelab.proxy import KubeProxy

        proxy = self.proxies[node] = KubeProxy(self.ctx, node, self.proxy_mode)
        proxy.start()

    def traffic(
        self, target: str, *, rps: float, duration: float, client: str | None = None, **options
    ):
        """Send ``rps`` simulated requests per second to ``target`` while ``duration`` seconds run.

        ``target``: a Service name (``web``, ``web.shop``, ``web.shop.svc.cluster.local``,
        ``web:8080``), ``NODE_IP:NODEPORT``, a load balancer IP, ``host/path`` through the
        Ingress, or ``localhost:PORT`` (with ``client=<pod>``). ``client``: a pod name
        (``ns/name``), ``"external"``, or None (a client on the first running node's host
        network, or the internet for node ports, LB IPs and ingress). Options: ``namespace``,
        ``timeout`` (seconds, default 1).
        Returns a DataFrame, one row per request: ``time, client, target, pod, node, version,
        status, latency, path, ...`` (status: HTTP code, ``"connection refused"``, ``"timeout"``).
        """
        from kubelab.network import TrafficEngine

        if self._traffic is None:
            self._traffic = TrafficEngine(self)
        return self._traffic.run(target, rps=rps, duration=duration, client=client, **options)

    def _kubelet(self, name: str):
        try:
            return self.kubelets[name]
        except KeyError:
            raise NotFound("nodes", name) from None

    # -- seeing ------------------------------------------------------------------------------
    @property
    def history(self):
        """Tidy DataFrame: one row per (time, object) change of workload state (the last hour,
        plus each live object's state before it, unless ``keep_history=True``)."""
        return self.recorder.frame()

    @property
    def events(self):
        """DataFrame of Kubernetes Events: time, namespace, kind, name, type, reason, message.

        The last hour's occurrences, as ``kubectl get events`` shows (``--event-ttl``), unless
        the cluster was built with ``keep_history=True`` or ``event_ttl=None``."""
        from kubelab.observe import events_frame

        return events_frame(self.api)

    @property
    def audit(self):
        """DataFrame of every request the API server served: who (user) did what (verb) to what
        (the last hour unless ``keep_history=True``)."""
        from kubelab.observe import audit_frame

        return audit_frame(self.api)

    @property
    def graph(self):
        """A ``networkx.MultiDiGraph`` of the current state (runs-on, owned-by, selects, routes-to)."""
        from kubelab.observe import cluster_graph

        return cluster_graph(self.api)

    def __repr__(self) -> str:
        pods = self.api.store.count("Pod")
        return f"<kubelab.Cluster nodes={len(self.kubelets)} pods={pods} t={self.now:g}s seed={self.seed}>"


# One call advances at most this far: c.run(1e300) would otherwise never return.
MAX_RUN_SECONDS = 30 * 24 * 3600.0


def _seconds(name: str, value) -> float:
    """A duration argument: a finite number >= 0 (time cannot run to infinity)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of simulated seconds, not {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:  # an int past float's range: past any span a call may run
        seconds = math.inf if value > 0 else -math.inf
    if math.isnan(seconds) or (math.isinf(seconds) and not isinstance(value, numbers.Integral)):
        raise ValueError(f"{name} must be a finite number of simulated seconds, not {value}")
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0")
    if seconds > MAX_RUN_SECONDS:
        raise ValueError(
            f"{name} must be at most {MAX_RUN_SECONDS:g} simulated seconds (30 days) per call, "
            f"not {seconds:g}: an idle cluster costs about 2 s of CPU per simulated day, so run "
            "longer spans in steps"
        )
    return seconds


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0")
    return value


def _node_manifest(manifest_or_name) -> dict:
    if isinstance(manifest_or_name, str):
        return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": manifest_or_name}}
    manifest = copy.deepcopy(manifest_or_name)
    if manifest.get("kind", "Node") != "Node" or not manifest.get("metadata", {}).get("name"):
        raise Invalid(message="error: a node manifest needs kind: Node and metadata.name")
    manifest.setdefault("apiVersion", "v1")
    manifest.setdefault("kind", "Node")
    return manifest


def _node_manifests(nodes) -> list[dict]:
    if isinstance(nodes, int):
        if nodes < 0:
            raise ValueError("nodes must be >= 0")
        return [_node_manifest(f"node-{i}") for i in range(1, nodes + 1)]
    return [_node_manifest(n) for n in nodes]


def _with_origin(error: KubelabError, doc) -> KubelabError:
    """Add kubectl's ``error when creating "file.yaml":`` context to a server error.

    ``error.document`` is the failing :class:`~kubelab.api.loader.Document` (its ``origin``,
    ``index`` in the stream and ``line``), whatever the message says.
    """
    error.document = doc
    origin = getattr(doc, "origin", "<string>")
    if isinstance(error, NoKindMatch):  # kubectl names the file inside its own message
        return error.with_origin(origin)
    if isinstance(error, Invalid) or origin == "<string>":
        return error
    error.message = f'error when creating "{origin}": {error.message}'
    return error
