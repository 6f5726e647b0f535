"""The Services lab: pick a Service type, send traffic, see the path and who answered.

:class:`ServiceLab` keeps the logic in plain methods (tests drive it without a browser): a
seeded cluster runs three ``kubelab/web`` pods; :meth:`ServiceLab.expose` (re)creates the
Service ``web`` with the chosen type; :meth:`ServiceLab.send` sends requests the way a client
of that type would (ClusterIP: from inside the cluster; NodePort: to a node's IP and node
port; LoadBalancer: to the cloud load balancer's address; ExternalName: by DNS name);
:meth:`ServiceLab.kill_pod` takes one pod away. :meth:`ServiceLab.draw` shows the cluster,
the path of the last request and the answers per pod; :meth:`ServiceLab.widget` wires
ipywidgets to them.

Examples
--------
>>> lab = ServiceLab(seconds=5)
>>> lab.expose("NodePort").send()["answered"]
100
>>> len(lab.counts())  # all three pods answered
3
>>> lab.expose("ExternalName").send()["statuses"]
{'external': 100}
"""

from __future__ import annotations

__all__ = ["SERVICE_TYPES", "ServiceLab", "draw_request_path", "plot_pod_counts", "service_lab"]

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")

_DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "kubelab/web:v1",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "readinessProbe": {
                            "httpGet": {"path": "/healthz", "port": 8080},
                            "periodSeconds": 2,
                        },
                    }
                ]
            },
        },
    },
}


def service_manifest(kind: str) -> dict:
    """The Service ``web`` of type ``kind`` in front of the ``app=web`` pods."""
    if kind not in SERVICE_TYPES:
        raise ValueError(f"type must be one of {', '.join(SERVICE_TYPES)}, not {kind!r}")
    spec: dict = {"type": kind}
    if kind == "ExternalName":
        spec["externalName"] = "web.example.com"
    else:
        spec["selector"] = {"app": "web"}
        spec["ports"] = [{"port": 80, "targetPort": "http"}]
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


def target_for(c, svc: dict) -> tuple[str, str | None]:
    """Where a client of this Service type sends, and who the client is (``None``: in-cluster)."""
    spec = svc["spec"]
    kind = spec.get("type", "ClusterIP")
    if kind == "NodePort":
        node = c.api.store.get("Node", "", "node-1") or {}
        ip = next(
            a["address"]
            for a in (node.get("status") or {}).get("addresses") or ()
            if a["type"] == "InternalIP"
        )
        return f"{ip}:{spec['ports'][0]['nodePort']}", "external"
    if kind == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        if ingress:
            return ingress[0]["ip"], "external"
    return svc["metadata"]["name"], None


class ServiceLab:
    """One seeded cluster with three web pods; Services and traffic on demand."""

    def __init__(self, *, nodes: int = 3, seed: int = 0, rps: float = 20, seconds: float = 10):
        import kubelab as kl

        self.rps, self.seconds = rps, seconds
        self.cluster = c = kl.Cluster(nodes=nodes, seed=seed)
        c.apply(dict(_DEPLOYMENT))
        c.run(30)
        self.kind: str | None = None
        self.frame = None
        self.killed: list[str] = []

    # -- actions -----------------------------------------------------------------------------
    def expose(self, kind: str = "ClusterIP") -> ServiceLab:
        """Replace the Service ``web`` by one of type ``kind``; wait for a load balancer."""
        c = self.cluster
        if c.api.store.get("Service", "default", "web") is not None:
            c.delete("svc", "web")
            c.run_until(
                lambda cl: cl.api.store.get("Service", "default", "web") is None, timeout=30
            )
        c.apply(service_manifest(kind))
        self.kind = kind
        if kind == "LoadBalancer":
            c.run_until(lambda cl: bool(_lb_ingress(cl)), timeout=60)
        c.run(1)
        return self

    def send(self, seconds: float | None = None) -> dict:
        """Send traffic as a client of the current Service type would; a summary of answers."""
        c = self.cluster
        if self.kind is None:
            self.expose("ClusterIP")
        svc = c.get("svc", "web")
        target, client = target_for(c, svc)
        self.frame = c.traffic(
            target,
            rps=self.rps,
            duration=self.seconds if seconds is None else seconds,
            client=client,
        )
        return self.summary()

    def kill_pod(self) -> str | None:
        """Kill the first ready web pod (its endpoint goes; the ReplicaSet replaces it)."""
        c = self.cluster
        pods = sorted(
            p["metadata"]["name"]
            for p in c.list("pods", selector="app=web")
            if not p["metadata"].get("deletionTimestamp")
        )
        if not pods:
            return None
        c.kill_pod(pods[0])
        self.killed.append(pods[0])
        return pods[0]

    # -- reading -----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Answers (2xx) per pod in the last traffic run."""
        if self.frame is None or self.frame.empty:
            return {}
        ok = self.frame[self.frame["status"].astype(str).str.match(r"^2\d\d$")]
        return {str(k): int(v) for k, v in ok.groupby("pod").size().items()}

    def summary(self) -> dict:
        t = self.frame
        statuses = {str(k): int(v) for k, v in t["status"].astype(str).value_counts().items()}
        return {
            "type": self.kind,
            "target": t["target"].iloc[0] if len(t) else None,
            "requests": len(t),
            "answered": sum(self.counts().values()),
            "statuses": statuses,
            "path": t["path"].iloc[-1] if len(t) else "",
        }

    def describe(self) -> str:
        if self.frame is None:
            return "Choose a Service type and press “send traffic”."
        s = self.summary()
        return (
            f"{s['type']}: {s['requests']} requests to {s['target']}, "
            f"{s['answered']} answered 2xx; statuses {s['statuses']}"
        )

    # -- drawing -----------------------------------------------------------------------------
    def draw(self, axes=None):
        """Three panels: the cluster, the last request's path, answers per pod."""
        import matplotlib.pyplot as plt

        from kubelab.viz.draw import draw_cluster

        if axes is None:
            fig = plt.figure(figsize=(11, 7))
            grid = fig.add_gridspec(2, 2, height_ratios=[3, 1.2], width_ratios=[2.2, 1])
            axes = [
                fig.add_subplot(grid[0, 0]),
                fig.add_subplot(grid[1, :]),
                fig.add_subplot(grid[0, 1]),
            ]
        draw_cluster(self.cluster, ax=axes[0])
        path = self.summary()["path"] if self.frame is not None else ""
        draw_request_path(path, ax=axes[1])
        plot_pod_counts(self.frame, ax=axes[2])
        return axes

    def widget(self):
        """A type chooser, "send traffic" and "kill a pod" buttons, the picture."""
        import ipywidgets as w
        import matplotlib.pyplot as plt

        kind = w.ToggleButtons(options=list(SERVICE_TYPES), value="ClusterIP", description="type")
        send = w.Button(description="send traffic", button_style="primary")
        kill = w.Button(description="kill a pod", button_style="danger")
        label = w.HTML(self.describe())
        out = w.Output()

        def show():
            label.value = self.describe()
            with out:
                out.clear_output(wait=True)
                self.draw()
                plt.tight_layout()
                plt.show()

        def on_send(_=None):
            if kind.value != self.kind:
                self.expose(kind.value)
            self.send()
            show()

        def on_kill(_=None):
            self.kill_pod()
            self.cluster.run(1)
            self.send()
            show()

        send.on_click(on_send)
        kill.on_click(on_kill)
        return w.VBox([kind, w.HBox([send, kill]), label, out])


def _lb_ingress(c) -> list:
    svc = c.api.store.get("Service", "default", "web") or {}
    return ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []


def draw_request_path(path: str, ax=None):
    """The hops of one request (``a → b → c``, as ``c.traffic`` reports it), left to right.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = draw_request_path("client (node-1) → kube-proxy → pod web-1 (node-2)")
    >>> [t.get_text() for t in ax.texts]
    ['client (node-1)', 'kube-proxy', 'pod web-1 (node-2)']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if ax is None:
        _fig, ax = plt.subplots(figsize=(11, 1.6))
    ax.set_axis_off()
    hops = [h.strip() for h in path.split("→") if h.strip()] if path else []
    if not hops:
        ax.set_title("no request sent yet", fontsize=9, loc="left")
        return ax
    n = len(hops)
    width = 1.0 / n
    for i, hop in enumerate(hops):
        x = (i + 0.5) * width
        last = i == n - 1
        color = "#c8e6c9" if last and hop.startswith("pod") else "#e8eaf6"
        if last and ("REJECT" in hop or "DROP" in hop or "outside" in hop):
            color = "#ffcdd2" if "outside" not in hop else "#fff9c4"
        ax.add_patch(
            FancyBboxPatch(
                (x - width * 0.39, 0.2),
                width * 0.78,
                0.6,
                boxstyle="round,pad=0.01",
                facecolor=color,
                edgecolor="#5c6bc0",
                transform=ax.transAxes,
            )
        )
        ax.text(
            x, 0.5, _wrap(hop, 22), ha="center", va="center", fontsize=7.5, transform=ax.transAxes
        )
        if not last:
            ax.add_patch(
                FancyArrowPatch(
                    (x + width * 0.39, 0.5),
                    (x + width * 0.61, 0.5),
                    arrowstyle="-|>",
                    mutation_scale=10,
                    color="#3949ab",
                    transform=ax.transAxes,
                )
            )
    ax.set_title("the last request's path", fontsize=9, loc="left")
    return ax


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def plot_pod_counts(frame, ax=None):
    """Bars: how many requests each pod answered (failures as one more bar, in red).

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"pod": ["a", "b", "a", None], "status": [200, 200, 200, "timeout"]})
    >>> [int(b.get_height()) for b in plot_pod_counts(t).patches]
    [2, 1, 1]
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(4, 3))
    if frame is None or len(frame) == 0:
        ax.set_title("answers per pod (no traffic yet)", fontsize=9)
        return ax
    ok = frame["status"].astype(str).str.match(r"^2\d\d$")
    per_pod = frame[ok].groupby("pod").size().sort_index()
    labels = [str(p).rsplit("-", 1)[-1] for p in per_pod.index]
    values = [float(v) for v in per_pod.values]
    colors = ["#1f77b4"] * len(values)
    failed = frame[~ok]
    if len(failed):
        reasons = failed["status"].astype(str).value_counts()
        labels.append(str(reasons.index[0]) if len(reasons) == 1 else "failed")
        values.append(float(len(failed)))
        colors.append("#d62728")
    ax.bar(range(len(values)), values, color=colors)
    ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("requests")
    ax.set_title("answers per pod", fontsize=9)
    return ax


def service_lab(**options):
    """A :class:`ServiceLab` and its widget: ``lab, ui = service_lab()``."""
    lab = ServiceLab(**options)
    return lab, lab.widget()
