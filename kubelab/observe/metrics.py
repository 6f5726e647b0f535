"""metrics-server: scrapes every kubelet's resource usage and serves it to ``kubectl top``.

Like the real add-on (``minikube addons enable metrics-server``), it asks each kubelet every
``resolution`` seconds (15 s) what its running containers use — the kubelet's cAdvisor view,
:mod:`kubelab.kubelet.resources` — and keeps the latest sample (the ``metrics.k8s.io``
PodMetrics and NodeMetrics ``kubectl top`` prints) plus every sample, as a tidy DataFrame for
plots (:meth:`MetricsServer.frame`). A node's usage is its pods' plus what the system (kubelet,
container runtime, kube-proxy) uses: :data:`SYSTEM_CPU`, :data:`SYSTEM_MEMORY`.

A cluster of at most :data:`AUTO_ENABLE_NODES` nodes starts scraping at once; a bigger one
(a scale experiment) only once :meth:`MetricsServer.enable` is called or ``kubectl top`` runs,
so 5,000-node runs do not pay for samples nobody reads. The samples kept for plots are the last
hour's (:data:`~kubelab.sim.RETENTION`), :data:`MAX_ROWS` rows at most (``keep_all=True``, or
``kl.Cluster(..., keep_history=True)``, keeps every sample).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Pod
... metadata: {name: busy}
... spec:
...   containers:
...   - {name: app, image: kubelab/busy, resources: {limits: {cpu: 250m}}}
... ''')
>>> for line in c.run(30).kubectl("top pods").splitlines():  # kubectl pads every cell
...     print(line.rstrip())
NAME   CPU(cores)   MEMORY(bytes)
busy   250m         32Mi
>>> last = c.metrics.usage("Pod").iloc[-1]
>>> float(last.time), last["name"], float(last.cpu), bool(last.throttled)
(30.0, 'busy', 0.25, True)
"""

from __future__ import annotations

from kubelab.kubelet.resources import usage
from kubelab.sim import LATE, RETENTION, RingLog

__all__ = [
    "AUTO_ENABLE_NODES",
    "MAX_ROWS",
    "METRICS_COLUMNS",
    "RESOLUTION",
    "SYSTEM_CPU",
    "SYSTEM_MEMORY",
    "MetricsServer",
]

RESOLUTION = 15.0  # metrics-server --metric-resolution
SYSTEM_CPU = 0.05  # cores the node's own daemons use (kubelet, containerd, kube-proxy)
SYSTEM_MEMORY = 300 * 2**20
AUTO_ENABLE_NODES = 100
MAX_ROWS = 300_000  # samples kept for MetricsServer.frame at most (the last hour otherwise)
METRICS_COLUMNS = [
    "time",
    "kind",
    "namespace",
    "name",
    "container",
    "node",
    "cpu",
    "memory",
    "cpu_limit",
    "memory_limit",
    "throttled",
]


class MetricsServer:
    """The metrics pipeline of one cluster: kubelets → samples → ``kubectl top`` and plots.

    Parameters
    ----------
    clock : Clock
    kubelets : dict
        Node name → :class:`~kubelab.kubelet.Kubelet` (the cluster's live dict).
    enabled : bool
        Start scraping now (otherwise on :meth:`enable`).
    keep_all : bool
        Keep every sample (otherwise the last hour, :data:`MAX_ROWS` rows at most).
    """

    def __init__(
        self,
        clock,
        kubelets: dict,
        *,
        enabled: bool = True,
        resolution=RESOLUTION,
        keep_all: bool = False,
    ):
        self.clock, self.kubelets, self.resolution = clock, kubelets, resolution
        self.rows = RingLog(clock, RETENTION, MAX_ROWS)
        if keep_all:
            self.rows.keep_all()
        self.pods: dict[tuple[str, str], list[tuple[str, float, int]]] = {}
        self.nodes: dict[str, tuple[float, int]] = {}
        self.scraped_at: float | None = None
        self.enabled = False
        if enabled:
            self.enable()

    def enable(self) -> MetricsServer:
        """Start scraping (now, then every ``resolution`` seconds). Chainable."""
        if not self.enabled:
            self.enabled = True
            self.scrape()
            self.clock.call_later(self.resolution, self._tick, priority=LATE)
        return self

    def _tick(self) -> None:
        self.scrape()
        self.clock.call_later(self.resolution, self._tick, priority=LATE)

    def scrape(self) -> None:
        """Ask every running kubelet for its containers' usage now (``/metrics/resource``)."""
        now = self.clock.now
        pods: dict[tuple[str, str], list] = {}
        nodes: dict[str, tuple[float, int]] = {}
        for node in sorted(self.kubelets):
            kubelet = self.kubelets[node]
            if not kubelet.running:
                continue  # an unreachable kubelet: no sample (kubectl top shows <unknown>)
            node_cpu, node_mem = SYSTEM_CPU, SYSTEM_MEMORY
            for worker in sorted(kubelet.workers.values(), key=lambda w: (w.namespace, w.name)):
                containers = []
                throttled = False
                for c in worker.containers:
                    if c.state != "running":
                        continue
                    cpu, mem, cpu_max, mem_max, slow = usage(
                        c.spec, c.image, now - (c.started_at or now)
                    )
                    throttled = throttled or slow
                    containers.append((c.name, cpu, mem))
                    self.rows.append(
                        (now, "Container", worker.namespace, worker.name, c.name, node, cpu, mem,
                         cpu_max, mem_max, slow)
                    )  # fmt: skip
                if not containers:
                    continue
                pods[(worker.namespace, worker.name)] = containers
                cpu = sum(x[1] for x in containers)
                mem = sum(x[2] for x in containers)
                self.rows.append(
                    (now, "Pod", worker.namespace, worker.name, None, node, cpu, mem,
                     None, None, throttled)
                )  # fmt: skip
                node_cpu += cpu
                node_mem += mem
            nodes[node] = (node_cpu, node_mem)
            self.rows.append(
                (now, "Node", "", node, None, node, node_cpu, node_mem, None, None, False)
            )
        self.pods, self.nodes, self.scraped_at = pods, nodes, now

    def ensure(self) -> None:
        """What ``kubectl top`` needs: metrics-server running with at least one sample."""
        if not self.enabled:
            self.enable()

    def frame(self):
        """Every sample as a tidy DataFrame (:data:`METRICS_COLUMNS`; cpu in cores, memory in
        bytes; one row per container, pod and node per scrape)."""
        import pandas as pd

        return pd.DataFrame(list(self.rows.trim()), columns=METRICS_COLUMNS)

    def usage(self, kind: str = "Pod"):
        """Samples of one kind (``"Pod"``, ``"Node"`` or ``"Container"``) as a DataFrame."""
        frame = self.frame()
        return frame[frame.kind == kind].reset_index(drop=True)
