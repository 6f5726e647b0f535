"""Node maintenance for the cluster lab: add and remove nodes, cordon, uncordon and drain.

:class:`NodeMaintenance` is a mixin of :class:`~kubelab.viz.ClusterLab`: each action is a plain
method (so tests and notebooks drive it without a browser) that goes through the cluster's own
entry points (``c.add_node``, ``c.remove_node``, ``c.kubectl("cordon …")``, ``kubectl drain``),
notes a mark for the plot and leaves a one-line ``message``. :func:`ready_nodes` is the number of
Ready nodes over time, from ``c.history``, drawn next to a DaemonSet's pods.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> lab = kl.viz.cluster_lab(c)
>>> lab.add_node().message
'node-3 joined'
>>> lab.cordon("node-1").message
'node/node-1 cordoned'
>>> lab.drain("node-1").message
'node/node-1 drained'
>>> int(ready_nodes(c).iloc[-1])
3
"""

from __future__ import annotations

__all__ = ["DRAIN_FLAGS", "NodeMaintenance", "ready_nodes"]

#: What the lab's drain button passes to ``kubectl drain`` (a lab should not hang for 5 minutes).
DRAIN_FLAGS = "--ignore-daemonsets --delete-emptydir-data --timeout=120s"


def ready_nodes(source):
    """Ready nodes over time: a ``pandas.Series`` indexed by time (from ``c.history``).

    A node counts from the moment its Ready condition is True until it is NotReady, Unknown or
    deleted.
    """
    import pandas as pd

    history = source.history if hasattr(source, "history") else source
    rows = history[history["kind"] == "Node"] if len(history) else history
    state: dict[str, bool] = {}
    times, counts = [], []
    n = 0  # a running count: one row, one node's change (no re-count over every node)
    for t, name, phase in rows[["time", "name", "phase"]].itertuples(index=False):
        ready = phase == "Ready"
        n += ready - state.get(name, False)
        state[name] = ready
        if times and times[-1] == t:
            counts[-1] = n
        else:
            times.append(float(t))
            counts.append(n)
    now = float(getattr(source, "now", times[-1] if times else 0.0))
    if times and now > times[-1]:
        times.append(now)
        counts.append(counts[-1])
    return pd.Series(counts, index=pd.Index(times, name="time"), name="ready nodes", dtype=int)


class NodeMaintenance:
    """Actions on nodes (mixed into :class:`~kubelab.viz.ClusterLab`)."""

    drain_output: str = ""

    def _default_node(self, name: str | None) -> str:
        if name:
            return name
        names = self.node_names()
        if not names:
            raise ValueError("the cluster has no node")
        return names[0]

    def add_node(self, name: str | None = None) -> NodeMaintenance:
        """Join a new worker node (default: the next free ``node-N``); its kubelet registers it."""
        if name is None:
            taken = set(self.node_names())
            i = 1
            while f"node-{i}" in taken:
                i += 1
            name = f"node-{i}"
        self.cluster.add_node(name)
        self.message = f"{name} joined"
        self._mark(f"add {name}")
        return self

    def remove_node(self, name: str | None = None) -> NodeMaintenance:
        """Shut a node down and delete it (default: the last one); its pods are garbage-collected."""
        if name is None:
            names = self.node_names()
            if not names:
                self.message = "no node to remove"
                return self
            name = names[-1]
        self.cluster.remove_node(name)
        if name in self.failed:
            self.failed.remove(name)
        self.message = f"{name} removed"
        self._mark(f"remove {name}")
        return self

    def cordon(self, name: str | None = None) -> NodeMaintenance:
        """``kubectl cordon``: no new pods on the node (DaemonSet pods still go there)."""
        name = self._default_node(name)
        self.message = self.cluster.kubectl(f"cordon {name}").strip()
        self._mark(f"cordon {name}")
        return self

    def uncordon(self, name: str | None = None) -> NodeMaintenance:
        """``kubectl uncordon``: the node takes new pods again."""
        name = self._default_node(name)
        self.message = self.cluster.kubectl(f"uncordon {name}").strip()
        self._mark(f"uncordon {name}")
        return self

    def drain(self, name: str | None = None, flags: str = DRAIN_FLAGS) -> NodeMaintenance:
        """``kubectl drain NODE flags``: cordon, then evict the pods, respecting budgets.

        Time runs while kubectl waits (refused evictions are retried every 5 s). The whole
        output is kept in ``drain_output``; ``message`` is its last line.
        """
        name = self._default_node(name)
        self._mark(f"drain {name}")
        out = self.cluster.kubectl(f"drain {name} {flags}".strip())
        self.drain_output = out
        self.message = out.strip().splitlines()[-1] if out.strip() else ""
        return self

    def _plot_nodes(self, ax) -> None:
        """Ready nodes over time, as a wide grey band under the pod counts (they often agree)."""
        series = ready_nodes(self.cluster)
        if len(series):
            ax.step(
                series.index,
                series.values,
                where="post",
                color="0.55",
                alpha=0.35,
                linewidth=5,
                solid_capstyle="butt",
                zorder=1,
                label="ready nodes",
                gid="nodes",
            )

    def _maintenance_row(self, w):
        """The widget row: add / remove node, cordon, uncordon, drain (on the node dropdown)."""
        c = self.controls
        c["add"] = w.Button(description="add node", icon="plus")
        c["add"].on_click(lambda _: self._run(self.add_node))
        c["remove"] = w.Button(description="remove node", icon="minus")
        c["remove"].on_click(lambda _: self._run(self.remove_node, c["node"].value))
        c["cordon"] = w.Button(description="cordon")
        c["cordon"].on_click(lambda _: self._run(self.cordon, c["node"].value))
        c["uncordon"] = w.Button(description="uncordon")
        c["uncordon"].on_click(lambda _: self._run(self.uncordon, c["node"].value))
        c["drain"] = w.Button(description="drain", button_style="warning")
        c["drain"].on_click(lambda _: self._run(self.drain, c["node"].value))
        return w.HBox([c["add"], c["remove"], c["cordon"], c["uncordon"], c["drain"]])
