"""What the scheduler "thought" about a pod, as a heatmap, and a lab to browse every pod.

:func:`plot_scheduling` draws ``c.scheduler.explain(pod)``: one row per node, one
column per filter plugin (green ✓ pass, red ✗ reject) then one per score plugin
(shaded by the normalised 0–100 score, labelled with the weighted score) and the total
(the winner framed). :class:`SchedulingLab` is the lesson widget: pick a pod from a
dropdown, see the table and the heatmap.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=3, seed=0)
>>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
...              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
>>> ax = plot_scheduling(c.run(1), "p")
>>> ax.get_title()
'What the scheduler thought of default/p'
"""

from __future__ import annotations

import html

__all__ = ["SchedulingLab", "plot_scheduling", "scheduling_lab", "scheduling_table"]

PASS_COLOR, FAIL_COLOR, NA_COLOR = "#c8e6c9", "#ef9a9a", "#eeeeee"


def _frame(source, pod, namespace):
    """``(explanation, pod label)`` from a Cluster and a pod name, or an explanation frame."""
    if hasattr(source, "scheduler"):
        if pod is None:
            raise ValueError("plot_scheduling(c, pod): name the pod to explain")
        return source.scheduler.explain(pod, namespace), f"{namespace}/{pod}"
    return source, (pod if pod is not None else "")


def _columns(frame):
    from kubelab.scheduler.explain import filter_columns, score_columns

    filters = filter_columns(frame)
    scores = score_columns(frame)
    return filters, scores


def scheduling_table(frame):
    """A compact view of an explanation: verdicts ✓/✗ per filter, weighted scores, total."""
    filters, scores = _columns(frame)
    view = frame[["node"]].copy()
    for column in filters:
        view[column[: -len(".filter")]] = ["✓" if v == "pass" else "✗ " + v for v in frame[column]]
    for column in scores:
        view[f"{column} ×w"] = frame[column]
    view["total"] = frame["total"]
    if "assigned" in frame:
        view["assigned"] = frame["assigned"]
    return view.set_index("node")


def plot_scheduling(source, pod=None, *, namespace: str = "default", ax=None):
    """Heatmap of one pod's scheduling decision.

    Parameters
    ----------
    source : Cluster or DataFrame
        A cluster (then ``pod`` names the pod) or a frame from ``c.scheduler.explain``.
    pod : str, optional
        The pod's name (with a cluster), or a title label (with a frame).
    namespace : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    frame, label = _frame(source, pod, namespace)
    filters, scores = _columns(frame)
    columns = [c[: -len(".filter")] for c in filters] + [*scores, "total"]
    n_rows, n_cols = len(frame), len(columns)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.9 * n_cols + 1.5), max(2.0, 0.45 * n_rows + 1.2)))
    cmap = plt.get_cmap("Blues")
    image = np.ones((max(n_rows, 1), max(n_cols, 1), 4))
    totals = frame["total"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    best = np.nanmax(totals) if np.isfinite(totals).any() else None
    low = np.nanmin(totals) if best is not None else 0.0
    texts = []
    for i, record in enumerate(frame.to_dict("records")):
        for j, column in enumerate(filters):
            ok = record[column] == "pass"
            image[i, j] = to_rgba(PASS_COLOR if ok else FAIL_COLOR)
            texts.append((i, j, "✓" if ok else "✗", "black"))
        for k, column in enumerate(scores):
            j = len(filters) + k
            normalized = record.get(f"{column}.normalized")
            if normalized is None or pd.isna(normalized):
                image[i, j] = to_rgba(NA_COLOR)
                texts.append((i, j, "–", "grey"))
                continue
            image[i, j] = cmap(0.15 + 0.7 * float(normalized) / 100)
            texts.append((i, j, str(int(record[column])), "white" if normalized > 60 else "black"))
        j = n_cols - 1
        total = totals[i]
        if np.isnan(total):
            image[i, j] = to_rgba(NA_COLOR)
            texts.append((i, j, "–", "grey"))
        else:
            share = 0.5 if best == low else (total - low) / (best - low)
            image[i, j] = plt.get_cmap("Greens")(0.2 + 0.6 * share)
            texts.append((i, j, str(int(total)), "white" if share > 0.6 else "black"))
    ax.imshow(image, aspect="auto", interpolation="nearest")
    for i, j, text, color in texts:
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)
    if best is not None:
        for i in np.flatnonzero(totals == best):
            ax.add_patch(Rectangle((n_cols - 1.5, i - 0.5), 1, 1, fill=False, lw=2, ec="black"))
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels(columns, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels(list(frame["node"]))
    if "assigned" in frame:
        for tick, assigned in zip(ax.get_yticklabels(), frame["assigned"], strict=True):
            if assigned:
                tick.set_fontweight("bold")
    if filters:
        ax.axvline(len(filters) - 0.5, color="black", lw=1)
    ax.set_title(
        f"What the scheduler thought of {label}" if label else "What the scheduler thought"
    )
    ax.set_xlabel("filters (✓ pass, ✗ reject)  |  scores (normalised × weight)  |  total")
    return ax


class SchedulingLab:
    """Pick a pod, see what the scheduler thought of every node (table + heatmap).

    The logic lives in plain methods (:meth:`pods`, :meth:`explain`, :meth:`summary`,
    :meth:`draw`) so tests drive it without a browser; :attr:`widget` wires a dropdown to them.
    """

    def __init__(self, c, *, namespace: str = "default", pod: str | None = None):
        import ipywidgets as w

        self.cluster, self.namespace = c, namespace
        names = self.pods()
        self.dropdown = w.Dropdown(
            options=names, value=pod or (names[0] if names else None), description="pod"
        )
        self.summary_html = w.HTML()
        self.output = w.Output()
        self.dropdown.observe(lambda change: self.update(), names="value")
        self.widget = w.VBox([self.dropdown, self.summary_html, self.output])
        self.update()

    def pods(self) -> list[str]:
        """Names of the pods in the namespace, pending ones first."""
        pods = self.cluster.list("Pod", namespace=self.namespace)
        pods.sort(key=lambda p: (bool(p["spec"].get("nodeName")), p["metadata"]["name"]))
        return [p["metadata"]["name"] for p in pods]

    def explain(self, pod: str | None = None):
        return self.cluster.scheduler.explain(pod or self.dropdown.value, self.namespace)

    def summary(self, pod: str | None = None) -> str:
        """One line: where the pod runs, or why it is Pending."""
        name = pod or self.dropdown.value
        obj = self.cluster.get("Pod", name, self.namespace)
        node = obj["spec"].get("nodeName")
        if node:
            return f"{name} runs on {node}"
        for condition in obj.get("status", {}).get("conditions") or ():
            if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                return f"{name} is Pending: {condition.get('message', '')}"
        return f"{name} is waiting to be scheduled"

    def draw(self, pod: str | None = None, ax=None):
        name = pod or self.dropdown.value
        return plot_scheduling(self.explain(name), f"{self.namespace}/{name}", ax=ax)

    def update(self) -> None:
        """Redraw for the pod in the dropdown."""
        from IPython.display import display

        if self.dropdown.value is None:
            self.summary_html.value = "<p>no pods</p>"
            return
        self.summary_html.value = f"<p><b>{html.escape(self.summary())}</b></p>"
        self.output.clear_output(wait=True)
        with self.output:
            import matplotlib.pyplot as plt

            display(scheduling_table(self.explain()))
            self.draw()
            plt.show()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def scheduling_lab(c, **kwargs) -> SchedulingLab:
    """A :class:`SchedulingLab` over the pods of cluster ``c`` (``namespace=``, ``pod=``)."""
    return SchedulingLab(c, **kwargs)
