"""The rollout lab: roll a Deployment forward and back, and watch its ReplicaSets trade pods.

:func:`rollout_series` turns ``c.history`` into the numbers of a rollout (live pods per
ReplicaSet; the Deployment's desired, ready and available counts); :func:`plot_rollout` draws
them; :class:`RolloutLab` is the lesson widget. Its logic is plain methods
(:meth:`~RolloutLab.set_strategy`, :meth:`~RolloutLab.deploy`, :meth:`~RolloutLab.roll_back`,
:meth:`~RolloutLab.step` ...), so tests drive it without a browser; ``lab.widget`` wires
ipywidgets controls to them and renders the figure as :class:`~kubelab.viz.ClusterLab` does.

Examples
--------
>>> lab = RolloutLab(replicas=4, max_surge=1, max_unavailable=0)
>>> _ = lab.deploy("kubelab/web:v2").step(60)
>>> [rs["spec"]["replicas"] for rs in lab.replica_sets()]
[0, 4]
>>> lab.timeline()[["desired", "available"]].iloc[-1].tolist()
[4, 4]
"""

from __future__ import annotations

import copy
import html

from kubelab.viz.draw import palette_for
from kubelab.viz.labs import cluster_from
from kubelab.viz.plots import _finish, history_marks
from kubelab.viz.series import pod_counts, workload_series
from kubelab.viz.widgets import ClusterLab

__all__ = ["RolloutLab", "plot_availability", "plot_rollout", "rollout_lab", "rollout_series"]

V1, V2, BROKEN = "kubelab/web:v1", "kubelab/web:v2", "kubelab/web:v3-broken"
_DEPLOYMENT_FIELDS = {"replicas": "desired", "ready": "ready", "available": "available"}


def rollout_series(source, name: str = "web", *, namespace: str = "default"):
    """A rollout over time, from ``c.history``.

    Parameters
    ----------
    source : Cluster or pandas.DataFrame
        A cluster (the series runs until ``c.now``) or its ``history``.
    name : str
        The Deployment.
    namespace : str

    Returns
    -------
    pandas.DataFrame
        Index ``time``; one column per ReplicaSet of the Deployment (its live pods: created and
        not terminating), then ``desired``, ``ready`` and ``available`` (the Deployment's
        ``spec.replicas`` and status counts). Integers.

    Examples
    --------
    >>> c = RolloutLab(replicas=3).cluster
    >>> s = rollout_series(c)
    >>> s.columns[-3:].tolist(), s.iloc[-1].tolist()
    (['desired', 'ready', 'available'], [3, 3, 3, 3])
    """
    import pandas as pd

    history = source.history if hasattr(source, "history") else source
    until = float(source.now) if hasattr(source, "now") else None
    rows = history[(history["namespace"] == namespace) & (history["kind"] == "ReplicaSet")]
    sets = list(dict.fromkeys(rows.loc[rows["owner"] == name, "name"]))
    alive = pod_counts(history, value="count", namespace=namespace, until=until)
    leaving = pod_counts(history, value="terminating", namespace=namespace, until=until)
    live = alive.sub(leaving.reindex(alive.index, method="ffill"), fill_value=0)
    live = live.reindex(columns=sets, fill_value=0)
    d = workload_series(
        history, kind="Deployment", names=[name], namespace=namespace, until=until
    ).droplevel("name", axis=1)
    d = d.reindex(columns=list(_DEPLOYMENT_FIELDS)).rename(columns=_DEPLOYMENT_FIELDS)
    times = live.index.union(d.index)
    frame = pd.concat(
        [live.reindex(times, method="ffill"), d.reindex(times, method="ffill")], axis=1
    )
    frame = frame.fillna(0).astype(int)
    frame.index.name, frame.columns.name = "time", None
    return frame


_GAP_COLOR = "#ef9a9a"
_COUNT_STYLES = {  # column: (linestyle, linewidth, colour)
    "desired": ("--", 1.2, "#616161"),
    "ready": ("-", 1.0, "#212121"),
    "available": (":", 1.8, "#212121"),
}


def _gaps(times, values, end: float) -> list[tuple[float, float]]:
    """Intervals where ``values`` is 0 after it was first above 0."""
    out, start, seen = [], None, False
    for t, v in zip(times, values, strict=True):
        if v > 0:
            seen = True
            if start is not None:
                out.append((start, float(t)))
                start = None
        elif seen and start is None:
            start = float(t)
    if start is not None and end > start:
        out.append((start, end))
    return out


def _step_lines(ax, frame, columns, name: str) -> None:
    for col in columns:
        style, width, color = _COUNT_STYLES[col]
        ax.step(
            frame.index,
            frame[col],
            where="post",
            linestyle=style,
            linewidth=width,
            color=color,
            label=f"{name} {col}",
            gid=col,
            zorder=3,
        )


def plot_rollout(
    source,
    name: str = "web",
    *,
    ax=None,
    namespace: str = "default",
    counts: bool = True,
    marks=None,
    title=True,
):
    """Live pods per ReplicaSet over time (solid, in :func:`~kubelab.viz.draw_cluster`'s
    colours); moments with no live pod at all are shaded red.

    Parameters
    ----------
    source : Cluster or pandas.DataFrame
        A cluster or its ``history``.
    name : str
        The Deployment.
    ax : matplotlib.axes.Axes, optional
    namespace : str
    counts : bool
        Also draw the Deployment's desired (dashed), ready (thin) and available (dotted) counts.
    marks : list of (time, label), optional
        Vertical lines (the lab marks its deploys and roll-backs).
    title : bool or str

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> c = RolloutLab(replicas=2, strategy="Recreate").deploy_v2().step(30).cluster
    >>> ax = plot_rollout(c)
    >>> [line.get_gid() for line in ax.get_lines()][-3:]
    ['desired', 'ready', 'available']
    >>> len([p for p in ax.patches if p.get_gid() == "gap"])  # no pod between old and new
    1
    """
    from kubelab.viz.plots import _new_axes

    ax = _new_axes(ax)
    frame = rollout_series(source, name, namespace=namespace)
    sets = list(frame.columns[:-3])
    palette = palette_for(source) if hasattr(source, "history") else None
    for col in sets:
        ax.step(
            frame.index,
            frame[col],
            where="post",
            linewidth=2.4,
            color=palette[col] if palette is not None else None,
            label=f"{col} pods",
            gid=f"rs:{col}",
            zorder=2,
        )
    end = float(frame.index.max()) if len(frame) else 0.0
    for i, (a, b) in enumerate(_gaps(frame.index, frame[sets].sum(axis=1), end)):
        ax.axvspan(
            a, b, color=_GAP_COLOR, alpha=0.5, lw=0, gid="gap", label="no pod" if i == 0 else None
        )
    if counts:
        _step_lines(ax, frame, list(_COUNT_STYLES), name)
    history = source.history if hasattr(source, "history") else source
    default = f"Deployment {name}: pods per ReplicaSet"
    _finish(ax, history, source, marks, None, "pods", default if title is True else title, True)
    return ax


def plot_availability(
    source,
    name: str = "web",
    *,
    ax=None,
    namespace: str = "default",
    floor: int | None = None,
    marks=None,
    title=True,
):
    """The Deployment's desired, ready and available pods over time; ``floor`` (e.g.
    ``replicas − maxUnavailable``) as a red line, and moments with no available pod shaded.

    Examples
    --------
    >>> c = RolloutLab(replicas=2).deploy_v2().step(30).cluster
    >>> ax = plot_availability(c, floor=2)
    >>> [line.get_gid() for line in ax.get_lines()]
    ['desired', 'ready', 'available', 'floor']
    """
    from kubelab.viz.plots import _new_axes

    ax = _new_axes(ax)
    frame = rollout_series(source, name, namespace=namespace)
    _step_lines(ax, frame, list(_COUNT_STYLES), name)
    end = float(frame.index.max()) if len(frame) else 0.0
    for i, (a, b) in enumerate(_gaps(frame.index, frame["available"], end)):
        ax.axvspan(
            a,
            b,
            color=_GAP_COLOR,
            alpha=0.5,
            lw=0,
            gid="gap",
            label="none available" if i == 0 else None,
        )
    if floor is not None:
        ax.axhline(
            floor, color="#c62828", linewidth=1, gid="floor", label="replicas − maxUnavailable"
        )
    history = source.history if hasattr(source, "history") else source
    default = f"Deployment {name}: ready and available pods"
    _finish(ax, history, source, marks, None, "pods", default if title is True else title, True)
    return ax


class RolloutLab(ClusterLab):
    """Deploy releases of ``kubelab/web`` through a Deployment and watch the rollout.

    Parameters
    ----------
    source : Cluster, optional
        A cluster to use as it is (its Deployment ``name`` is the one rolled); default: a new
        seeded cluster of ``nodes`` nodes running ``kubelab/web:v1``, warmed up ``warmup`` s.
    name : str
    replicas, strategy, max_surge, max_unavailable
        The Deployment's size and ``spec.strategy`` (numbers or percentages).
    readiness_delay : float
        ``initialDelaySeconds`` of the readinessProbe in the pod template: each new pod waits
        this long before it can be Ready. Part of the template, so it applies from the next
        :meth:`deploy`.
    progress_deadline : int
        ``progressDeadlineSeconds`` (short, so a broken release is reported within a lab run).
    step_seconds, nodes, seed, warmup
    """

    def __init__(
        self,
        source=None,
        *,
        name: str = "web",
        replicas: int = 4,
        strategy: str = "RollingUpdate",
        max_surge="25%",
        max_unavailable="25%",
        readiness_delay: float = 0,
        progress_deadline: int = 60,
        step_seconds: float = 5.0,
        nodes: int = 3,
        seed: int = 0,
        warmup: float = 30.0,
    ):
        self.name = name
        self.replicas_wanted = int(replicas)
        self.strategy = {"type": strategy}
        self.readiness_delay = float(readiness_delay)
        self.progress_deadline = int(progress_deadline)
        self.image = V1
        if strategy == "RollingUpdate":
            self.strategy["rollingUpdate"] = {
                "maxSurge": max_surge,
                "maxUnavailable": max_unavailable,
            }
        self._template = None  # an existing Deployment's pod template: deploys keep it
        self._selector = None
        fresh = source is None
        c, _ = cluster_from(
            source if source is not None else self.manifest(), nodes=nodes, seed=seed
        )
        if fresh and warmup:
            c.run(warmup)
        elif not fresh:
            d = c.get("Deployment", name)
            self._template, self._selector = d["spec"]["template"], d["spec"]["selector"]
            self.image = self._template["spec"]["containers"][0]["image"]
            self.replicas_wanted = d["spec"].get("replicas", 1)
            self.strategy = d["spec"].get("strategy") or self.strategy
            self.progress_deadline = d["spec"].get("progressDeadlineSeconds", 600)
        super().__init__(c, owner=("Deployment", name), step_seconds=step_seconds)

    # -- the Deployment this lab applies --------------------------------------------------------
    def manifest(self, image: str | None = None) -> dict:
        """The Deployment as the lab's settings describe it (``image`` default: the current one).

        A lab on an existing Deployment keeps its pod template and changes only the first
        container's image (and its readinessProbe's delay)."""
        if self._template is not None:
            template = copy.deepcopy(self._template)
        else:
            template = {
                "metadata": {"labels": {"app": self.name}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz", "port": 8080},
                                "periodSeconds": 1,
                            },
                        }
                    ]
                },
            }
        container = template["spec"]["containers"][0]
        container["image"] = image or self.image
        if self.readiness_delay and "readinessProbe" in container:
            container["readinessProbe"]["initialDelaySeconds"] = self.readiness_delay
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": self.name, "labels": {"app": self.name}},
            "spec": {
                "replicas": self.replicas_wanted,
                "progressDeadlineSeconds": self.progress_deadline,
                "strategy": self.strategy,
                "selector": self._selector or {"matchLabels": {"app": self.name}},
                "template": template,
            },
        }

    # -- the buttons ----------------------------------------------------------------------------
    def set_strategy(self, strategy: str, max_surge=None, max_unavailable=None) -> RolloutLab:
        """Change ``spec.strategy`` (not the template: no rollout starts by itself)."""
        if strategy == "RollingUpdate":
            rolling = dict(self.strategy.get("rollingUpdate") or {})
            rolling.setdefault("maxSurge", "25%")
            rolling.setdefault("maxUnavailable", "25%")
            if max_surge is not None:
                rolling["maxSurge"] = max_surge
            if max_unavailable is not None:
                rolling["maxUnavailable"] = max_unavailable
            new = {"type": strategy, "rollingUpdate": rolling}
        else:
            new = {"type": strategy}
        old, self.strategy = self.strategy, new
        try:
            self.cluster.apply(self.manifest())
        except Exception:
            self.strategy = old  # refused (e.g. maxSurge and maxUnavailable both 0)
            raise
        self.message = f"strategy {strategy}" + (
            f" (maxSurge {new['rollingUpdate']['maxSurge']}, maxUnavailable "
            f"{new['rollingUpdate']['maxUnavailable']})"
            if strategy == "RollingUpdate"
            else ""
        )
        return self

    def set_replicas(self, n: int) -> RolloutLab:
        """``kubectl scale deployment/<name> --replicas=n``."""
        self.replicas_wanted = int(n)
        return self.scale(n)

    def set_readiness_delay(self, seconds: float) -> RolloutLab:
        """The readinessProbe's initialDelaySeconds for pods of the next :meth:`deploy`."""
        self.readiness_delay = float(seconds)
        self.message = f"readiness delay {seconds:g} s (from the next deploy)"
        return self

    def deploy(self, image: str) -> RolloutLab:
        """Apply the Deployment with ``image``: a new pod template, so a rollout starts."""
        d = self.cluster.apply(self.manifest(image))[0]
        if self._template is not None:
            self._template = d["spec"]["template"]
        self.image = image
        self.message = f"deployed {image}"
        self._mark(f"deploy {image.rsplit(':', 1)[-1]}")
        return self

    def deploy_v2(self) -> RolloutLab:
        return self.deploy(V2)

    def deploy_broken(self) -> RolloutLab:
        """``kubelab/web:v3-broken``: its pods never pass the readinessProbe."""
        return self.deploy(BROKEN)

    def roll_back(self) -> RolloutLab:
        """``kubectl rollout undo deployment/<name>``: the previous ReplicaSet scales back up."""
        out = self.cluster.kubectl(f"rollout undo deployment/{self.name} -n {self.namespace}")
        self.message = out.strip()
        if "rolled back" in out:
            d = self.cluster.get("Deployment", self.name, self.namespace)
            self.image = d["spec"]["template"]["spec"]["containers"][0]["image"]
            if self._template is not None:
                self._template = d["spec"]["template"]
            self._mark("roll back")
        return self

    # -- what it shows --------------------------------------------------------------------------
    def replica_sets(self) -> list[dict]:
        """The Deployment's ReplicaSets, oldest revision first."""
        sets = [
            rs
            for rs in self.cluster.list("ReplicaSet", namespace=self.namespace)
            if any(r.get("name") == self.name for r in rs["metadata"].get("ownerReferences") or ())
        ]
        return sorted(
            sets,
            key=lambda rs: int(
                rs["metadata"]["annotations"].get("deployment.kubernetes.io/revision", 0)
            ),
        )

    def timeline(self):
        """:func:`rollout_series` of this lab's Deployment."""
        return rollout_series(self.cluster, self.name, namespace=self.namespace)

    counts = timeline

    def rollout_status(self) -> str:
        """``kubectl rollout status --watch=false``: where the rollout is now."""
        return self.cluster.kubectl(
            f"rollout status deployment/{self.name} -n {self.namespace} --watch=false"
        ).strip()

    def floor(self) -> int | None:
        """``replicas − maxUnavailable`` as the controller resolves them (None for Recreate)."""
        from kubelab.controllers.deployment_util import max_unavailable

        d = self.cluster.get("Deployment", self.name, self.namespace)
        if (d["spec"].get("strategy") or {}).get("type") != "RollingUpdate":
            return None
        return d["spec"]["replicas"] - max_unavailable(d)

    def figure(self, width: float = 10.0):
        """Pods per ReplicaSet (top), ready and available pods (below), as a new Figure."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width, 6.4), layout="constrained")
        upper, lower = fig.subplots(2, 1, sharex=True)
        marks = sorted(history_marks(self.cluster) + self.marks, key=lambda m: m[0])
        kwargs = {"namespace": self.namespace, "marks": marks}
        plot_rollout(self.cluster, self.name, ax=upper, counts=False, **kwargs)
        plot_availability(self.cluster, self.name, ax=lower, floor=self.floor(), **kwargs)
        upper.set_xlabel("")
        self.last_figure = fig
        return fig

    def status_html(self) -> str:
        parts = [f"<b>t = {self.cluster.now:g} s</b>", html.escape(self.rollout_status())]
        if self.message:
            parts.append(f"<i>{html.escape(self.message)}</i>")
        return " &nbsp;·&nbsp; ".join(parts)

    def _refresh_choices(self) -> None:
        pass  # no pod or node dropdowns here

    def _build(self) -> None:
        import ipywidgets as w

        c = self.controls = {}
        rolling = self.strategy.get("rollingUpdate") or {}
        c["replicas"] = w.IntSlider(
            value=self.replicas_wanted,
            min=1,
            max=10,
            description="replicas",
            continuous_update=False,
        )
        c["replicas"].observe(lambda ch: self._run(self.set_replicas, ch["new"]), names="value")
        c["strategy"] = w.ToggleButtons(
            options=["RollingUpdate", "Recreate"],
            value=self.strategy["type"],
            description="strategy",
        )
        c["surge"] = w.Text(value=str(rolling.get("maxSurge", "25%")), description="maxSurge")
        c["unavailable"] = w.Text(
            value=str(rolling.get("maxUnavailable", "25%")), description="maxUnavailable"
        )
        c["apply"] = w.Button(description="apply strategy")
        c["apply"].on_click(
            lambda _: self._run(
                self.set_strategy,
                c["strategy"].value,
                _int_or_percent(c["surge"].value),
                _int_or_percent(c["unavailable"].value),
            )
        )
        c["delay"] = w.IntSlider(
            value=int(self.readiness_delay),
            min=0,
            max=30,
            description="ready delay",
            continuous_update=False,
        )
        c["delay"].observe(lambda ch: self._run(self.set_readiness_delay, ch["new"]), names="value")
        c["v2"] = w.Button(description="deploy v2", button_style="success")
        c["v2"].on_click(lambda _: self._run(self.deploy_v2))
        c["v3"] = w.Button(description="deploy broken v3", button_style="danger")
        c["v3"].on_click(lambda _: self._run(self.deploy_broken))
        c["undo"] = w.Button(description="roll back", button_style="warning", icon="undo")
        c["undo"].on_click(lambda _: self._run(self.roll_back))
        self._widget = w.VBox(
            [
                w.HBox([c["replicas"], c["delay"]]),
                w.HBox([c["strategy"], c["surge"], c["unavailable"], c["apply"]]),
                w.HBox([c["v2"], c["v3"], c["undo"], *self._clock_controls(w)]),
                *self._output_controls(w),
            ]
        )


def _int_or_percent(text: str):
    """``"2"`` → 2, ``"25%"`` → ``"25%"`` (an IntOrString as a manifest writes it)."""
    text = str(text).strip()
    return int(text) if text.isdigit() else text


def rollout_lab(source=None, **kwargs) -> RolloutLab:
    """A :class:`RolloutLab`; a notebook cell ending with it shows the widget.

    Examples
    --------
    >>> lab = rollout_lab(replicas=3, strategy="Recreate")
    >>> lab.deploy_v2().step(30).replica_sets()[-1]["spec"]["replicas"]
    3
    """
    return RolloutLab(source, **kwargs)
