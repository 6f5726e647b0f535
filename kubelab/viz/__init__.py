"""Pictures and widget labs for kubelab (matplotlib and ipywidgets are imported on use).

The model never imports this package: every function here reads a cluster through
``c.graph`` / ``c.history`` / ``c.events`` and the learner-facing API.
"""

from __future__ import annotations

from kubelab.viz.draw import draw_cluster, palette_for
from kubelab.viz.labs import SelectorLab, SelectorSeries, selector_lab
from kubelab.viz.plots import history_marks, plot_history
from kubelab.viz.scene import scene
from kubelab.viz.series import node_transitions, pod_counts, traffic_counts, workload_series
from kubelab.viz.widgets import ClusterLab, cluster_lab

__all__ = [
    "ClusterLab",
    "SelectorLab",
    "SelectorSeries",
    "cluster_lab",
    "draw_cluster",
    "history_marks",
    "node_transitions",
    "palette_for",
    "plot_history",
    "pod_counts",
    "scene",
    "selector_lab",
    "traffic_counts",
    "workload_series",
]
