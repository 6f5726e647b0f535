"""Widget labs: explicit controls acting on a cluster, with a picture and a plot of its history.

The logic lives in plain methods (:meth:`ReplicationLab.scale`, :meth:`~ReplicationLab.kill_pod`,
:meth:`~ReplicationLab.fail_node`, :meth:`~ReplicationLab.step` ...) so tests and notebooks can
drive a lab without a browser; ``lab.widget`` wires buttons and sliders to those methods.
Figures are ``matplotlib.figure.Figure`` objects shown in an ``Output`` (no pyplot state).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=3, seed=0)  # doctest: +SKIP
>>> _ = c.apply("data/replicaset.yaml")  # doctest: +SKIP
>>> lab = kl.viz.replication_lab(c)  # doctest: +SKIP
>>> lab.scale(5).step(30).kill_pod()  # doctest: +SKIP
"""

from __future__ import annotations

import html
import traceback

from kubelab.viz.draw import draw_cluster
from kubelab.viz.plots import history_marks, plot_history

__all__ = ["ReplicationLab", "replication_lab"]

_SCALABLE = {
    "rs": "ReplicaSet",
    "replicaset": "ReplicaSet",
    "replicasets": "ReplicaSet",
    "rc": "ReplicationController",
    "replicationcontroller": "ReplicationController",
    "replicationcontrollers": "ReplicationController",
    "deploy": "Deployment",
    "deployment": "Deployment",
    "deployments": "Deployment",
}


def _owner(c, owner, namespace: str) -> tuple[str, str] | None:
    """``(kind, name)`` from ``"rs/web"``, ``("ReplicaSet", "web")``, ``"web"`` or ``None``."""
    store = c.api.store
    if owner is None:
        for kind in ("Deployment", "ReplicaSet", "ReplicationController"):
            objs = sorted(store.list(kind, namespace), key=lambda o: o["metadata"]["name"])
            objs = [o for o in objs if not o["metadata"].get("ownerReferences")]
            if objs:
                return kind, objs[0]["metadata"]["name"]
        return None
    if isinstance(owner, tuple):
        return owner
    if "/" in owner:
        kind, name = owner.split("/", 1)
        return _SCALABLE.get(kind.lower(), kind), name
    for kind in ("Deployment", "ReplicaSet", "ReplicationController"):
        if store.get(kind, namespace, owner) is not None:
            return kind, owner
    raise ValueError(f"no Deployment, ReplicaSet or ReplicationController named {owner!r}")


class ReplicationLab:
    """Scale a workload, kill its pods, fail nodes, let time run — and watch the controller act.

    Parameters
    ----------
    c : Cluster
    selector : str, optional
        Label selector of the pods the lab acts on (``kill_pod``); default: the owner's pods.
    owner : str or (kind, name), optional
        The workload the replicas slider scales: ``"rs/frontend"``, ``"rc/kubia"``, ``"web"``.
        Default: the first Deployment, ReplicaSet or ReplicationController in ``namespace``.
    namespace : str
    step_seconds : float
        Simulated seconds per step (and per tick of the play button).
    max_replicas : int
        The slider's maximum.
    """

    def __init__(
        self,
        c,
        *,
        selector: str | None = None,
        owner=None,
        namespace: str = "default",
        step_seconds: float = 10.0,
        max_replicas: int = 10,
    ):
        self.cluster = c
        self.selector = selector
        self.namespace = namespace
        self.owner = _owner(c, owner, namespace)
        self.step_seconds = float(step_seconds)
        self.max_replicas = max_replicas
        self.marks: list[tuple[float, str]] = []
        self.failed: list[str] = []
        self.message = ""
        self.last_figure = None
        self._widget = None

    # -- the model: what the buttons do --------------------------------------------------------
    def replicas(self) -> int | None:
        """The owner's ``spec.replicas`` now."""
        if not self.owner:
            return None
        obj = self.cluster.api.store.get(self.owner[0], self.namespace, self.owner[1]) or {}
        return (obj.get("spec") or {}).get("replicas")

    def pods(self) -> list[dict]:
        """The pods the lab acts on (by selector, else the owner's, else the namespace's)."""
        c = self.cluster
        if self.selector:
            pods = c.list("Pod", namespace=self.namespace, selector=self.selector)
        else:
            pods = [p for p in c.api.store.list("Pod", self.namespace) if self._ours(p)]
        return sorted(pods, key=lambda p: p["metadata"]["name"])

    def _ours(self, pod: dict) -> bool:
        if not self.owner:
            return True
        names = {self.owner[1]}
        if self.owner[0] == "Deployment":  # a Deployment's pods belong to its ReplicaSets
            names |= {
                rs["metadata"]["name"]
                for rs in self.cluster.api.store.list("ReplicaSet", self.namespace)
                if any(
                    r.get("name") == self.owner[1]
                    for r in rs["metadata"].get("ownerReferences") or ()
                )
            }
        return any(r.get("name") in names for r in pod["metadata"].get("ownerReferences") or ())

    def _mark(self, label: str) -> None:
        self.marks.append((self.cluster.now, label))

    def scale(self, n: int) -> ReplicationLab:
        """``kubectl scale <owner> --replicas=n``."""
        if not self.owner:
            raise ValueError("this lab has no workload to scale (pass owner=...)")
        kind, name = self.owner
        out = self.cluster.kubectl(
            f"scale {kind.lower()} {name} --replicas={int(n)} -n {self.namespace}"
        )
        self.message = out.strip()
        self._mark(f"scale to {int(n)}")
        return self

    def kill_pod(self, name: str | None = None) -> ReplicationLab:
        """Make a pod vanish (default: the first ready one); its controller should replace it."""
        if name is None:
            alive = [p for p in self.pods() if not p["metadata"].get("deletionTimestamp")]
            ready = [p for p in alive if _ready(p)]
            if not alive:
                self.message = "no pod to kill"
                return self
            name = (ready or alive)[0]["metadata"]["name"]
        self.cluster.kill_pod(name, self.namespace)
        self.message = f"pod {name} killed"
        self._mark(f"kill {name}")
        return self

    def node_names(self) -> list[str]:
        from kubelab.viz.scene import _natural

        names = [n["metadata"]["name"] for n in self.cluster.api.store.list("Node")]
        return sorted(names, key=lambda n: _natural((n,)))

    def fail_node(self, name: str | None = None) -> ReplicationLab:
        """Stop a node's kubelet (default: the first healthy node running one of the lab's pods)."""
        if name is None:
            busy = [p["spec"].get("nodeName") for p in self.pods()]
            healthy = [n for n in self.node_names() if n not in self.failed]
            name = next((n for n in healthy if n in busy), healthy[0] if healthy else None)
            if name is None:
                self.message = "every node has failed already"
                return self
        self.cluster.fail_node(name)
        if name not in self.failed:
            self.failed.append(name)
        self.message = f"{name} failed: its kubelet stopped (the control plane will notice)"
        self._mark(f"fail {name}")
        return self

    def restore_node(self, name: str | None = None) -> ReplicationLab:
        """Restart a failed node's kubelet (default: the first one failed)."""
        if name is None:
            if not self.failed:
                self.message = "no failed node to restore"
                return self
            name = self.failed[0]
        self.cluster.restore_node(name)
        if name in self.failed:
            self.failed.remove(name)
        self.message = f"{name} restored"
        self._mark(f"restore {name}")
        return self

    def step(self, seconds: float | None = None) -> ReplicationLab:
        """Let ``seconds`` (default ``step_seconds``) of simulated time run."""
        self.cluster.run(self.step_seconds if seconds is None else seconds)
        return self

    # -- the view ------------------------------------------------------------------------------
    def figure(self, width: float = 11.0):
        """The cluster (top) and ready pods per owner over time (below), as a new Figure."""
        from matplotlib.figure import Figure

        from kubelab.viz.layout import layout
        from kubelab.viz.scene import scene

        # The picture keeps its proportions (equal aspect): give it the height its width needs.
        xmin, xmax, ymin, ymax = layout(scene(self.cluster, namespace=self.namespace)).bounds
        top = min(7.0, max(2.2, width * (ymax - ymin) / (xmax - xmin) + 1.0))
        fig = Figure(figsize=(width, top + 3.4), layout="constrained")
        upper, lower = fig.subplots(2, 1, height_ratios=[top, 3.4])
        draw_cluster(self.cluster, ax=upper, namespace=self.namespace)
        marks = sorted(history_marks(self.cluster) + self.marks, key=lambda m: m[0])
        plot_history(self.cluster, ax=lower, namespace=self.namespace, marks=marks)
        self.last_figure = fig
        return fig

    def status_html(self) -> str:
        pods = self.pods()
        ready = sum(_ready(p) and not p["metadata"].get("deletionTimestamp") for p in pods)
        want = self.replicas()
        parts = [f"<b>t = {self.cluster.now:g} s</b>", f"{ready} of {len(pods)} pods ready"]
        if want is not None:
            parts.append(f"desired: {want} ({self.owner[0]} {html.escape(self.owner[1])})")
        if self.message:
            parts.append(f"<i>{html.escape(self.message)}</i>")
        return " &nbsp;·&nbsp; ".join(parts)

    def refresh(self) -> None:
        """Redraw the figure and the status line."""
        fig = self.figure()
        if self._widget is None:
            return
        self.controls["status"].value = self.status_html()
        out = self.controls["view"]
        from IPython import get_ipython

        if get_ipython() is None:  # headless (tests): keep the figure, show nothing
            return
        from IPython.display import display

        with out:
            out.clear_output(wait=True)
            display(fig)

    def _run(self, fn, *args) -> None:
        """Call an action from a widget callback; show errors instead of losing them."""
        try:
            fn(*args)
        except Exception as error:  # a callback's exception would vanish in the browser
            self.message = ""
            self.controls["status"].value = (
                f"<span style='color:#c62828'>❌ {html.escape(type(error).__name__)}: "
                f"{html.escape(str(error))}</span>"
            )
            with self.controls["log"]:
                print(traceback.format_exc())
            return
        self.refresh()

    @property
    def widget(self):
        """The lab's ``ipywidgets.VBox`` (built on first use)."""
        if self._widget is None:
            self._build()
            self.refresh()
        return self._widget

    def _build(self) -> None:
        import ipywidgets as w

        nodes = self.node_names()
        c = self.controls = {}
        row1 = []
        if self.owner:
            c["replicas"] = w.IntSlider(
                value=self.replicas() or 0,
                min=0,
                max=self.max_replicas,
                description="replicas",
                continuous_update=False,
            )
            c["replicas"].observe(lambda ch: self._run(self.scale, ch["new"]), names="value")
            row1.append(c["replicas"])
        c["kill"] = w.Button(description="kill a pod", icon="times", button_style="danger")
        c["kill"].on_click(lambda _: self._run(self.kill_pod))
        c["node"] = w.Dropdown(
            options=nodes,
            value=nodes[0] if nodes else None,
            description="node",
            layout=w.Layout(width="200px"),
        )
        c["fail"] = w.Button(description="fail node", button_style="warning")
        c["fail"].on_click(lambda _: self._run(self.fail_node, c["node"].value))
        c["restore"] = w.Button(description="restore node")
        c["restore"].on_click(lambda _: self._run(self.restore_node, c["node"].value))
        c["seconds"] = w.Dropdown(
            options=[1, 5, 10, 30, 60, 300],
            value=_nearest(self.step_seconds),
            description="s / step",
            layout=w.Layout(width="160px"),
        )
        c["step"] = w.Button(description="step", icon="step-forward")
        c["step"].on_click(lambda _: self._run(self.step, c["seconds"].value))
        c["play"] = w.Play(value=0, min=0, max=10_000, step=1, interval=1000, description="play")
        c["play"].observe(
            lambda ch: self._run(self.step, c["seconds"].value) if ch["new"] else None,
            names="value",
        )
        c["status"] = w.HTML()
        c["view"] = w.Output(layout=w.Layout(min_height="560px"))
        c["log"] = w.Output()
        self._widget = w.VBox(
            [
                w.HBox([*row1, c["kill"]]),
                w.HBox([c["node"], c["fail"], c["restore"]]),
                w.HBox([c["play"], c["seconds"], c["step"]]),
                c["status"],
                c["view"],
                c["log"],
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _ready(pod: dict) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or ()
    return any(x.get("type") == "Ready" and x.get("status") == "True" for x in conds)


def _nearest(seconds: float) -> int:
    return min((1, 5, 10, 30, 60, 300), key=lambda s: abs(s - seconds))


def replication_lab(c, *, selector: str | None = None, owner=None, **kwargs) -> ReplicationLab:
    """A :class:`ReplicationLab` on ``c``; a notebook cell ending with it shows the widget.

    Parameters
    ----------
    c : Cluster
    selector : str, optional
        Label selector of the pods to act on.
    owner : str or (kind, name), optional
        The workload to scale, e.g. ``"rs/frontend"`` or ``"rc/kubia"``.
    **kwargs
        ``namespace``, ``step_seconds``, ``max_replicas`` (see :class:`ReplicationLab`).
    """
    return ReplicationLab(c, selector=selector, owner=owner, **kwargs)
