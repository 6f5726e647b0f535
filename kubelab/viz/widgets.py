"""The cluster lab: explicit controls acting on a cluster, with a picture and a plot of its history.

The logic lives in plain methods (:meth:`ClusterLab.scale`, :meth:`~ClusterLab.kill_pod`,
:meth:`~ClusterLab.fail_node`, :meth:`~ClusterLab.step` ...) so tests and notebooks can drive a
lab without a browser; ``lab.widget`` wires buttons and sliders to those methods. The numbers
come from ``c.history`` (:mod:`kubelab.viz.series`); the figure is a
``matplotlib.figure.Figure`` (no pyplot state) rendered to PNG into an ``ipywidgets.Image``, so
the lab looks the same in JupyterLab, Notebook 7, VS Code and JupyterLite.

Examples
--------
>>> import kubelab as kl
>>> lab = kl.viz.cluster_lab("data/replicaset.yaml",
...                          series={"frontend": "tier=frontend"})  # doctest: +SKIP
>>> lab.scale(5).step(30).kill_pod()  # doctest: +SKIP
>>> c = kl.Cluster(nodes=3, seed=0)  # doctest: +SKIP
>>> _ = c.apply("data/replicaset.yaml")  # doctest: +SKIP
>>> kl.viz.cluster_lab(c, owner="rs/frontend")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import traceback
from collections.abc import Mapping

from kubelab.observe.history import is_ready
from kubelab.viz.colors import NO_OWNER
from kubelab.viz.draw import draw_cluster, palette_for
from kubelab.viz.labs import SelectorSeries, _owner, cluster_from
from kubelab.viz.maintenance import NodeMaintenance
from kubelab.viz.plots import _finish, history_marks, plot_history
from kubelab.viz.series import WORKLOAD_KINDS, pod_counts, workload_series

__all__ = ["ClusterLab", "cluster_lab"]


class ClusterLab(NodeMaintenance):
    """Scale a workload, kill its pods, fail nodes, let time run — and watch the controllers act.

    Node maintenance (:meth:`add_node`, :meth:`remove_node`, :meth:`cordon`, :meth:`uncordon`,
    :meth:`drain`) comes from :class:`~kubelab.viz.maintenance.NodeMaintenance`.

    Parameters
    ----------
    source : Cluster, or manifest path(s)/YAML/dicts
        An existing cluster (used as it is), or manifests applied to a new cluster of ``nodes``
        nodes and ``seed``, then run for ``warmup`` simulated seconds.
    series : dict of {label: selector}, optional
        Plot the ready pods of each label selector (``{"frontend": "tier=frontend"}``). Default:
        the ready pods of each owner, from ``c.history``.
    selector : str, optional
        Label selector of the pods the lab acts on (``kill_pod``); default: the owner's pods.
    owner : str or (kind, name), optional
        The workload the replicas slider scales: ``"rs/frontend"``, ``"rc/kubia"``, ``"web"``;
        or a DaemonSet (``"ds/fluentd"``: no slider, its desired count follows the nodes).
        Default: the first Deployment, ReplicaSet or ReplicationController in ``namespace``.
    namespace : str
    step_seconds : float
        Simulated seconds per step (and per tick of the play button).
    max_replicas : int
        The slider's maximum.
    show_nodes : bool, optional
        Also plot the number of Ready nodes over time (default: for a DaemonSet owner).
    nodes, seed, warmup
        For a lab built from manifests.
    """

    def __init__(
        self,
        source,
        *,
        series: Mapping[str, str] | None = None,
        selector: str | None = None,
        owner=None,
        namespace: str = "default",
        step_seconds: float = 10.0,
        max_replicas: int = 10,
        nodes: int = 3,
        seed: int = 0,
        warmup: float = 30.0,
        show_nodes: bool | None = None,
    ):
        self.series = None

        def watch(c):  # before the manifests are applied: every pod's labels are seen
            self.series = SelectorSeries(c, series, namespace) if series else None

        c, fresh = cluster_from(source, nodes=nodes, seed=seed, before_apply=watch)
        if not fresh and series:
            watch(c)
        if fresh and warmup:
            c.run(warmup)
        self.cluster = c
        self.selector = selector
        self.namespace = namespace
        self.owner = _owner(c, owner, namespace)
        daemon = bool(self.owner) and self.owner[0] == "DaemonSet"
        self.show_nodes = daemon if show_nodes is None else bool(show_nodes)
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
        """The pods the lab acts on: by selector, else the owner's, else the series', else all."""
        c = self.cluster
        if self.selector:
            pods = c.list("Pod", namespace=self.namespace, selector=self.selector)
        elif self.series and not self.owner:
            selectors = self.series.selectors.values()
            pods = [
                p
                for p in c.api.store.list("Pod", self.namespace)
                if any(s.matches(p["metadata"].get("labels") or {}) for s in selectors)
            ]
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

    def scale(self, n: int) -> ClusterLab:
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

    def kill_pod(self, name: str | None = None) -> ClusterLab:
        """Make a pod vanish (default: the first ready one); its controller should replace it."""
        if name is None:
            alive = [p for p in self.pods() if not p["metadata"].get("deletionTimestamp")]
            if not alive:
                self.message = "no pod to kill"
                return self
            name = ([p for p in alive if is_ready(p)] or alive)[0]["metadata"]["name"]
        self.cluster.kill_pod(name, self.namespace)
        self.message = f"pod {name} killed"
        self._mark(f"kill {name}")
        return self

    def node_names(self) -> list[str]:
        from kubelab.viz.scene import _natural

        names = [n["metadata"]["name"] for n in self.cluster.api.store.list("Node")]
        return sorted(names, key=lambda n: _natural((n,)))

    def fail_node(self, name: str | None = None) -> ClusterLab:
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

    def restore_node(self, name: str | None = None) -> ClusterLab:
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

    def step(self, seconds: float | None = None) -> ClusterLab:
        """Let ``seconds`` (default ``step_seconds``) of simulated time run."""
        self.cluster.run(self.step_seconds if seconds is None else seconds)
        return self

    # -- the numbers ---------------------------------------------------------------------------
    def counts(self):
        """Ready pods over time (a DataFrame indexed by time): one column per series, or per owner."""
        if self.series:
            return self.series.counts()
        return pod_counts(self.cluster, namespace=self.namespace)

    # -- the view ------------------------------------------------------------------------------
    def figure(self, width: float = 11.0):
        """The cluster (top) and ready pods over time (below), as a new Figure."""
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
        if self.series:
            self._plot_series(lower, marks)
        else:
            plot_history(self.cluster, ax=lower, namespace=self.namespace, marks=marks)
        if self.show_nodes:
            self._plot_nodes(lower)
            lower.set_ylim(bottom=0, top=max(1.0, lower.dataLim.y1) * 1.08)
            lower.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        self.last_figure = fig
        return fig

    def _plot_series(self, ax, marks) -> None:
        """Ready pods per selector (solid, in their owner's colour) and the owner's desired count."""
        c = self.cluster
        palette = palette_for(c)
        counts = self.series.counts()
        for label in counts.columns:
            owners = self.series.owners(label)
            owner = next(iter(owners)) if len(owners) == 1 else label
            ax.step(
                counts.index,
                counts[label],
                where="post",
                color=palette[NO_OWNER if owner is None else owner],
                linewidth=2,
                label=f"{label}: {self.series.strings[label]}",
                gid=f"count:{label}",
            )
        if self.owner:
            name = self.owner[1]
            desired = workload_series(
                c, kind=WORKLOAD_KINDS, names=[name], fields=("replicas",), namespace=self.namespace
            )
            if name in desired.columns.get_level_values(0):
                ax.step(
                    desired.index,
                    desired[(name, "replicas")],
                    where="post",
                    color=palette[name],
                    linestyle="--",
                    linewidth=1.2,
                    label=f"{name} desired",
                    gid=f"desired:{name}",
                )
        _finish(ax, c.history, c, marks, None, "ready pods", "Ready pods per selector", True)

    def png(self, dpi: int = 80) -> bytes:
        """The figure as PNG bytes."""
        return figure_png(self.figure(), dpi)

    def status_html(self) -> str:
        now = self.counts().iloc[-1] if self.series else None
        parts = [f"<b>t = {self.cluster.now:g} s</b>"]
        if now is not None:
            parts += [f"{html.escape(str(k))}: {v} ready" for k, v in now.items()]
        else:
            pods = self.pods()
            ready = sum(is_ready(p) for p in pods)
            parts.append(f"{ready} of {len(pods)} pods ready")
        want = self.replicas()
        if want is not None:
            parts.append(f"desired: {want} ({self.owner[0]} {html.escape(self.owner[1])})")
        if self.message:
            parts.append(f"<i>{html.escape(self.message)}</i>")
        return " &nbsp;·&nbsp; ".join(parts)

    def refresh(self) -> None:
        """Redraw the figure and the status line (and the pod list of the kill control)."""
        if self._widget is None:
            self.figure()
            return
        c = self.controls
        c["status"].value = self.status_html()
        self._refresh_choices()
        c["view"].value = self.png()

    def _refresh_choices(self) -> None:
        """The kill control's pod list and the node dropdown follow the cluster."""
        c = self.controls
        names = [p["metadata"]["name"] for p in self.pods()]
        c["pod"].options = [("first ready", None), *((n, n) for n in names)]
        if c["pod"].value not in names:
            c["pod"].value = None
        nodes = self.node_names()
        if list(c["node"].options) != nodes:  # nodes joined or left
            current = c["node"].value
            c["node"].options = nodes
            c["node"].value = current if current in nodes else (nodes[0] if nodes else None)

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
        if self.owner and self.owner[0] != "DaemonSet":  # a DaemonSet has no replicas
            c["replicas"] = w.IntSlider(
                value=self.replicas() or 0,
                min=0,
                max=self.max_replicas,
                description="replicas",
                continuous_update=False,
            )
            c["replicas"].observe(lambda ch: self._run(self.scale, ch["new"]), names="value")
            row1.append(c["replicas"])
        c["pod"] = w.Dropdown(
            options=[("first ready", None)], value=None, layout=w.Layout(width="220px")
        )
        c["kill"] = w.Button(description="kill pod", icon="times", button_style="danger")
        c["kill"].on_click(lambda _: self._run(self.kill_pod, c["pod"].value))
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
        self._widget = w.VBox(
            [
                w.HBox([*row1, c["pod"], c["kill"]]),
                w.HBox([c["node"], c["fail"], c["restore"]]),
                self._maintenance_row(w),
                w.HBox(self._clock_controls(w)),
                *self._output_controls(w),
            ]
        )

    def _clock_controls(self, w) -> list:
        """Play, seconds per step and step: the widgets that let time run."""
        c = self.controls
        c["seconds"] = w.Dropdown(
            options=list(_STEPS),
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
        return [c["play"], c["seconds"], c["step"]]

    def _output_controls(self, w) -> list:
        """The status line, the figure and the log of errors, under the controls."""
        c = self.controls
        c["status"] = w.HTML()
        c["view"] = w.Image(format="png", layout=w.Layout(width="100%"))
        c["log"] = w.Output()
        return [c["status"], c["view"], c["log"]]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


_STEPS = (1, 5, 10, 30, 60, 300)


def _nearest(seconds: float) -> int:
    return min(_STEPS, key=lambda s: abs(s - seconds))


def figure_png(fig, dpi: int = 80) -> bytes:
    """A ``matplotlib.figure.Figure`` as PNG bytes (what the labs show in an ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def cluster_lab(source, *, series: Mapping[str, str] | None = None, **kwargs) -> ClusterLab:
    """A :class:`ClusterLab`; a notebook cell ending with it shows the widget.

    Parameters
    ----------
    source : Cluster, or manifest path(s)/YAML/dicts
        An existing cluster, or manifests to apply to a new seeded cluster.
    series : dict of {label: selector}, optional
        Plot ready pods per label selector instead of per owner.
    **kwargs
        ``selector``, ``owner``, ``namespace``, ``step_seconds``, ``max_replicas``, ``nodes``,
        ``seed``, ``warmup`` (see :class:`ClusterLab`).

    Examples
    --------
    >>> lab = cluster_lab("data/replicaset.yaml", series={"frontend": "tier=frontend"},
    ...                   owner="rs/frontend")  # doctest: +SKIP
    >>> lab.scale(5).step(30).counts().iloc[-1].tolist()  # doctest: +SKIP
    [5]
    """
    return ClusterLab(source, series=series, **kwargs)
