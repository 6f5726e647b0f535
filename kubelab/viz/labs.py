"""What the labs share: their cluster, the workload they scale, and label selectors.

``c.history`` has no labels, so :class:`SelectorSeries` watches the pods (like any component,
through the store's watch) and notes when each pod enters or leaves each selector; the ready
counts themselves come from :func:`~kubelab.viz.pod_counts` over the history rows of the pods
while they were selected. :class:`SelectorLab` is the lesson widget: type a selector, see the
pods it selects.

Examples
--------
>>> lab = selector_lab("data/pods-labelled.yaml", selector="app=web")  # doctest: +SKIP
>>> lab.selected("env in (prod),track!=canary")  # doctest: +SKIP
['web-prod-1', 'web-prod-2']
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from kubelab.viz.series import pod_counts

__all__ = ["SelectorLab", "SelectorSeries", "cluster_from", "selector_lab"]


def cluster_from(source, *, nodes: int = 3, seed: int = 0, before_apply=None):
    """``(cluster, new)``: ``source`` itself if it is a Cluster, else a new seeded cluster with it.

    ``source`` is a manifest path, YAML text, a dict, or a list of them. ``before_apply(c)`` is
    called on a new cluster before anything is applied (to start watching it).
    """
    from kubelab.cluster import Cluster

    if isinstance(source, Cluster):
        return source, False
    c = Cluster(nodes=nodes, seed=seed)
    if before_apply is not None:
        before_apply(c)
    for s in source if isinstance(source, list | tuple) else [source]:
        c.apply(s)
    return c, True


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
    "ds": "DaemonSet",
    "daemonset": "DaemonSet",
    "daemonsets": "DaemonSet",
    "sts": "StatefulSet",
    "statefulset": "StatefulSet",
    "statefulsets": "StatefulSet",
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
    for kind in ("Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet"):
        if store.get(kind, namespace, owner) is not None:
            return kind, owner
    raise ValueError(
        "no Deployment, ReplicaSet, ReplicationController, DaemonSet or StatefulSet named "
        f"{owner!r}"
    )


class SelectorSeries:
    """Ready pods per label selector over time: ``{legend label: selector}``.

    Start it before the pods exist to know every pod's labels; pods already gone when it
    starts are not counted (their labels are nowhere to be read).
    """

    def __init__(self, c, series: Mapping[str, str], namespace: str = "default"):
        from kubelab.api import labels

        self.cluster = c
        self.namespace = namespace
        self.selectors = {label: labels.parse(sel) for label, sel in series.items()}
        self.strings = dict(series)
        # (label, pod) -> [(time, selected?)]: when each pod entered or left each selector.
        self.changes: dict[tuple[str, str], list[tuple[float, bool]]] = {}
        for pod in sorted(c.api.store.list("Pod", namespace), key=lambda p: p["metadata"]["name"]):
            self._see(pod, -1.0)  # selected "from the start", as far as we know
        c.api.store.watch("Pod", self._on_event)

    def _on_event(self, event: str, obj: dict, old: dict | None) -> None:
        if event != "DELETED" and obj["metadata"].get("namespace") == self.namespace:
            self._see(obj, self.cluster.now)

    def _see(self, pod: dict, time: float) -> None:
        name = pod["metadata"]["name"]
        for label, sel in self.selectors.items():
            changes = self.changes.setdefault((label, name), [])
            selected = sel.matches(pod["metadata"].get("labels") or {})
            if (changes[-1][1] if changes else False) != selected:
                changes.append((time, selected))

    def counts(self, history=None, *, until: float | None = None):
        """Ready pods per selector: a DataFrame indexed by time, one column per label."""
        import pandas as pd

        c = self.cluster
        history = c.history if history is None else history
        until = c.now if until is None else until
        pods = history[(history["kind"] == "Pod") & (history["namespace"] == self.namespace)]
        pods = pods.sort_values("time", kind="stable")
        by_pod = {name: list(rows.itertuples(index=False)) for name, rows in pods.groupby("name")}
        columns = {}
        for label in self.selectors:
            rows = []
            for name, pod_rows in by_pod.items():
                rows += _selected_rows(pod_rows, self.changes.get((label, name), ()))
            frame = pd.DataFrame(rows, columns=history.columns)
            counts = pod_counts(frame, by=None, value="ready", until=until)
            columns[label] = counts["pods"] if "pods" in counts else pd.Series(dtype=int)
        out = pd.concat(columns, axis=1).sort_index()
        out = out.reindex(sorted(set(out.index) | {0.0, float(until)}))
        out = out.ffill().fillna(0).astype(int)
        out.index.name, out.columns.name = "time", "selector"
        return out

    def owners(self, label: str) -> set:
        """Owners of the pods ``label``'s selector has selected (``None``: bare pods)."""
        names = {name for (lab, name), ch in self.changes.items() if lab == label and ch}
        h = self.cluster.history
        rows = h[(h["kind"] == "Pod") & h["name"].isin(names) & (h["phase"] != "Deleted")]
        return {None if o != o else o for o in rows["owner"]}


def _selected_rows(pod_rows, changes) -> list:
    """A pod's history rows while it was selected; leaving counts as deletion, joining as creation."""
    out, last, selected = [], None, False
    events = [(r.time, 0, r) for r in pod_rows] + [(t, 1, s) for t, s in changes]
    for time, what, value in sorted(events, key=lambda e: (e[0], e[1])):
        if what == 0:
            last = value
            if selected:
                out.append(value)
        elif value and not selected:
            selected = True
            if last is not None and last.phase != "Deleted":
                out.append(last._replace(time=max(time, last.time)))
        elif selected and not value:
            selected = False
            if last is not None and last.phase != "Deleted":
                out.append(last._replace(time=time, phase="Deleted", ready=None))
    return out


class SelectorLab:
    """Type a label selector, see which pods it selects (and the labels of those it leaves out).

    Parameters
    ----------
    source : Cluster, or manifest path(s)/YAML/dicts
        A cluster, or manifests applied to a new seeded cluster (then run ``warmup`` seconds).
    selector : str
        The selector shown first.
    namespace : str
    """

    def __init__(
        self,
        source,
        *,
        selector: str = "",
        namespace: str = "default",
        nodes: int = 3,
        seed: int = 0,
        warmup: float = 10.0,
    ) -> None:
        import ipywidgets as w

        self.cluster, fresh = cluster_from(source, nodes=nodes, seed=seed)
        if fresh:
            self.cluster.run(warmup)
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
        self.update()

    def selected(self, selector: str) -> list[str]:
        """Names of the pods ``selector`` selects (raises ``kl.Invalid`` on a bad selector)."""
        pods = self.cluster.list("Pod", namespace=self.namespace, selector=selector)
        return sorted(p["metadata"]["name"] for p in pods)

    def update(self) -> None:
        """Re-read the text box and redraw the table."""
        from kubelab.errors import KubelabError

        try:
            chosen = set(self.selected(self.text.value))
            error = ""
        except (KubelabError, ValueError) as err:
            chosen = set()
            error = f"<p style='color:#c62828'>❌ {html.escape(str(err))}</p>"
        rows = []
        for p in self.cluster.list("Pod", namespace=self.namespace):
            name = p["metadata"]["name"]
            pairs = sorted((p["metadata"].get("labels") or {}).items())
            labels = ", ".join(f"{k}={v}" for k, v in pairs)
            mark, style = ("✅", "font-weight:bold") if name in chosen else ("·", "color:grey")
            rows.append(
                f"<tr style='{style}'><td>{mark}</td><td>{html.escape(name)}</td>"
                f"<td><code>{html.escape(labels)}</code></td></tr>"
            )
        self.table.value = (
            f"{error}<p>{len(chosen)} of {len(rows)} pods selected</p>"
            "<table><tr><th></th><th>pod</th><th>labels</th></tr>" + "".join(rows) + "</table>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def selector_lab(source, *, selector: str = "", **kwargs) -> SelectorLab:
    """A :class:`SelectorLab` over the pods of ``source`` (a Cluster, or manifests to apply).

    ``**kwargs``: ``namespace``, ``nodes``, ``seed``, ``warmup`` (see :class:`SelectorLab`).
    """
    return SelectorLab(source, selector=selector, **kwargs)
