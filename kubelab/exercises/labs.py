"""Widget labs for the lessons: explicit controls wired to a cluster and a plot of its state.

A lab owns one seeded cluster. Buttons and sliders act on it through the learner-facing API
(``kubectl scale``, ``kill_pod``, ``fail_node``, ``run``); after each action the lab samples the
number of ready pods per selector every few simulated seconds and redraws a picture of the
cluster and a plot of ready pods over time. Pictures are rendered to PNG into an
``ipywidgets.Image``, so the lab works the same in JupyterLab, Notebook 7, VS Code and
JupyterLite, and leaks no figures.

>>> lab = cluster_lab("data/replicaset.yaml", series={"frontend": "tier=frontend"},
...                   scale=("ReplicaSet", "frontend"))      # doctest: +SKIP
>>> lab.controls["replicas"].value = 5                          # doctest: +SKIP
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ClusterLab",
    "SelectorLab",
    "cluster_lab",
    "is_ready",
    "plot_samples",
    "ready_counts",
    "selector_lab",
]

_STEP = 5.0  # seconds between samples


def is_ready(pod: Mapping) -> bool:
    """Running, Ready condition True, and not being deleted."""
    from kubelab.exercises.checks import is_ready as ready

    return ready(pod)


def ready_counts(cluster: Any, series: Mapping[str, str]) -> dict[str, int]:
    """Ready, not-terminating pods per label selector: ``{label: count}``."""
    return {
        label: sum(1 for p in cluster.list("Pod", selector=sel) if is_ready(p))
        for label, sel in series.items()
    }


class ClusterLab:
    """State and widgets of one lab. ``lab.widget`` is what the notebook shows."""

    def __init__(
        self,
        source: Any,
        *,
        series: Mapping[str, str],
        scale: tuple[str, str] | None = None,
        nodes: int = 3,
        seed: int = 0,
        warmup: float = 30.0,
        max_replicas: int = 10,
    ) -> None:
        import kubelab as kl

        self.cluster = c = kl.Cluster(nodes=nodes, seed=seed)
        self.series = dict(series)
        self.scale = scale
        self.samples: list[tuple[float, dict[str, int]]] = []
        self.desired: list[tuple[float, int]] = []
        self.marks: list[tuple[float, str]] = []
        sources = source if isinstance(source, list | tuple) else [source]
        for s in sources:
            c.apply(s)
        self._sample()
        self.advance(warmup)
        self._build(max_replicas)
        self.redraw()

    # -- model -------------------------------------------------------------------------------

    def _replicas(self) -> int | None:
        if not self.scale:
            return None
        kind, name = self.scale
        return int(self.cluster.get(kind, name)["spec"].get("replicas", 1))

    def _sample(self) -> None:
        c = self.cluster
        self.samples.append((c.now, ready_counts(c, self.series)))
        replicas = self._replicas()
        if replicas is not None:
            self.desired.append((c.now, replicas))

    def advance(self, seconds: float) -> None:
        """Run the cluster ``seconds`` further, sampling every few seconds."""
        remaining = float(seconds)
        while remaining > 1e-9:
            step = min(_STEP, remaining)
            self.cluster.run(step)
            remaining -= step
            self._sample()

    def set_replicas(self, n: int) -> str:
        kind, name = self.scale
        out = self.cluster.kubectl(f"scale {kind.lower()} {name} --replicas={n}")
        self.marks.append((self.cluster.now, f"scale {n}"))
        self._sample()
        return out

    def kill_pod(self) -> str:
        """Kill the first ready pod (by name) of the first series."""
        selector = next(iter(self.series.values()))
        pods = sorted(
            (p for p in self.cluster.list("Pod", selector=selector) if is_ready(p)),
            key=lambda p: p["metadata"]["name"],
        )
        if not pods:
            return "no ready pod to kill"
        name = pods[0]["metadata"]["name"]
        self.cluster.kill_pod(name)
        self.marks.append((self.cluster.now, "kill"))
        self._sample()
        return f"killed pod {name}"

    def fail_node(self, name: str) -> str:
        self.cluster.fail_node(name)
        self.marks.append((self.cluster.now, f"{name} down"))
        return f"{name} failed: its kubelet stopped"

    def restore_node(self, name: str) -> str:
        self.cluster.restore_node(name)
        self.marks.append((self.cluster.now, f"{name} up"))
        return f"{name} restored"

    # -- view --------------------------------------------------------------------------------

    def figure(self):
        """A matplotlib Figure: the cluster on the left, ready pods over time on the right."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(12, 4.5), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.5, 1])
        try:
            import kubelab.viz as viz

            viz.draw_cluster(self.cluster, ax=left)
        except (ImportError, AttributeError, NotImplementedError):
            left.axis("off")
            left.text(
                0,
                1,
                self.cluster.kubectl("get pods -o wide"),
                family="monospace",
                fontsize=7,
                va="top",
            )
        plot_samples(self, ax=right)
        return fig

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.figure().savefig(buf, format="png", dpi=80)
        return buf.getvalue()

    def _build(self, max_replicas: int) -> None:
        import ipywidgets as w

        c = self.cluster
        nodes = [n["metadata"]["name"] for n in c.list("Node")]
        self.controls: dict[str, Any] = {}
        self.image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.status = w.HTML()
        row = []
        if self.scale:
            replicas = w.IntSlider(
                value=self._replicas() or 0,
                min=0,
                max=max_replicas,
                description="replicas",
                continuous_update=False,
            )
            replicas.observe(lambda ch: self._act(self.set_replicas, ch["new"]), names="value")
            self.controls["replicas"] = replicas
            row.append(replicas)
        kill = w.Button(description="kill a pod", icon="skull", button_style="danger")
        kill.on_click(lambda _: self._act(self.kill_pod))
        node = w.Dropdown(
            options=nodes, value=nodes[0], description="node", layout=w.Layout(width="180px")
        )
        fail = w.Button(description="fail node", button_style="warning")
        fail.on_click(lambda _: self._act(self.fail_node, node.value))
        restore = w.Button(description="restore node")
        restore.on_click(lambda _: self._act(self.restore_node, node.value))
        steps = []
        for seconds in (10, 60, 300):
            b = w.Button(description=f"run {seconds} s", layout=w.Layout(width="90px"))
            b.on_click(lambda _, s=seconds: self._act(self.advance, s))
            steps.append(b)
        play = w.Play(value=0, min=0, max=120, step=1, interval=700, description="play")
        play.observe(lambda ch: self._act(self.advance, 10) if ch["new"] else None, names="value")
        self.controls.update(kill=kill, node=node, fail=fail, restore=restore, play=play)
        for b, s in zip(steps, (10, 60, 300), strict=True):
            self.controls[f"run{s}"] = b
        self.widget = w.VBox(
            [
                w.HBox([*row, kill]),
                w.HBox([node, fail, restore]),
                w.HBox([w.Label("time:"), play, *steps]),
                self.status,
                self.image,
            ]
        )
        self.widget.lab = self

    def _act(self, fn, *args) -> None:
        message = fn(*args)
        self.redraw(message if isinstance(message, str) else "")

    def redraw(self, message: str = "") -> None:
        counts = self.samples[-1][1]
        summary = ", ".join(f"{k}: {v} ready" for k, v in counts.items())
        self.status.value = f"<b>t = {self.cluster.now:.0f} s</b> &nbsp; {summary}" + (
            f" &nbsp; <i>{message.strip()}</i>" if message else ""
        )
        self.image.value = self.png()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def plot_samples(lab: ClusterLab, ax=None):
    """Ready pods per series (and the desired count) over time, with the lab's actions marked."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    times = [t for t, _ in lab.samples]
    for label in lab.series:
        ax.step(times, [s[label] for _, s in lab.samples], where="post", label=f"{label} ready")
    if lab.desired:
        ax.step(
            [t for t, _ in lab.desired],
            [n for _, n in lab.desired],
            where="post",
            linestyle="--",
            color="grey",
            label="desired (spec.replicas)",
        )
    for t, text in lab.marks:
        ax.axvline(t, color="crimson", alpha=0.4, linewidth=1)
        ax.annotate(
            text,
            (t, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=7,
            va="top",
            ha="right",
            color="crimson",
        )
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("pods")
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def cluster_lab(
    source: Any,
    *,
    series: Mapping[str, str],
    scale: tuple[str, str] | None = None,
    nodes: int = 3,
    seed: int = 0,
    warmup: float = 30.0,
    actions: Sequence[tuple[str, Any]] = (),
) -> ClusterLab:
    """Build a lab: apply ``source`` to a fresh cluster and return its controls and views.

    ``series`` maps a legend label to a label selector (ready pods are counted per series);
    ``scale`` = ``(kind, name)`` adds a replicas slider acting through ``kubectl scale``.
    ``actions`` replays steps before showing the lab, e.g. ``[("fail_node", "node-1"), ("advance", 400)]``.
    """
    lab = ClusterLab(source, series=series, scale=scale, nodes=nodes, seed=seed, warmup=warmup)
    for name, arg in actions:
        getattr(lab, name)(arg)
    if actions:
        lab.redraw()
    return lab


class SelectorLab:
    """Type a label selector, see which pods it selects (and why the others are left out)."""

    def __init__(
        self,
        source: Any,
        *,
        selector: str = "",
        nodes: int = 3,
        seed: int = 0,
        namespace: str | None = "default",
    ) -> None:
        import ipywidgets as w

        import kubelab as kl

        self.cluster = kl.Cluster(nodes=nodes, seed=seed)
        for s in source if isinstance(source, list | tuple) else [source]:
            self.cluster.apply(s)
        self.cluster.run(10)
        self.namespace = namespace
        self.text = w.Text(
            value=selector,
            description="selector",
            placeholder="app=web,env in (prod)",
            continuous_update=False,
            layout=w.Layout(width="480px"),
        )
        self.table = w.HTML()
        self.text.observe(lambda ch: self.update(), names="value")
        self.widget = w.VBox([self.text, self.table])
        self.widget.lab = self
        self.update()

    def selected(self, selector: str) -> list[str]:
        """Names of the pods ``selector`` selects (raises ``kl.Invalid`` on a bad selector)."""
        pods = self.cluster.list("Pod", namespace=self.namespace, selector=selector)
        return sorted(p["metadata"]["name"] for p in pods)

    def update(self) -> None:
        import html

        import kubelab as kl

        try:
            chosen = set(self.selected(self.text.value))
            error = ""
        except (kl.KubelabError, ValueError) as err:
            chosen, error = set(), f"<p style='color:crimson'>❌ {html.escape(str(err))}</p>"
        rows = []
        for p in sorted(
            self.cluster.list("Pod", namespace=self.namespace), key=lambda p: p["metadata"]["name"]
        ):
            name = p["metadata"]["name"]
            labels = ", ".join(
                f"{k}={v}" for k, v in sorted((p["metadata"].get("labels") or {}).items())
            )
            mark = "✅" if name in chosen else "·"
            style = "font-weight:bold" if name in chosen else "color:grey"
            rows.append(
                f"<tr style='{style}'><td>{mark}</td><td>{html.escape(name)}</td>"
                f"<td><code>{html.escape(labels)}</code></td></tr>"
            )
        self.table.value = (
            error + f"<p>{len(chosen)} of {len(rows)} pods selected</p>"
            "<table><tr><th></th><th>pod</th><th>labels</th></tr>" + "".join(rows) + "</table>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def selector_lab(source: Any, *, selector: str = "", nodes: int = 3, seed: int = 0) -> SelectorLab:
    """A text box for a label selector over the pods of ``source`` (applied to a fresh cluster)."""
    return SelectorLab(source, selector=selector, nodes=nodes, seed=seed)
