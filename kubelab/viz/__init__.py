"""Pictures and widget labs for kubelab (matplotlib and ipywidgets are imported on use).

The model never imports this package: every function here reads a cluster through
``c.graph`` / ``c.history`` / ``c.events`` and the learner-facing API.
"""

from __future__ import annotations

from kubelab.viz.draw import draw_cluster, palette_for
from kubelab.viz.plots import history_marks, plot_history
from kubelab.viz.scene import scene
from kubelab.viz.series import node_transitions, pod_counts, traffic_counts, workload_series
from kubelab.viz.widgets import ReplicationLab, replication_lab

__all__ = [
    "ReplicationLab",
    "draw_cluster",
    "history_marks",
    "node_transitions",
    "palette_for",
    "plot_history",
    "pod_counts",
    "replication_lab",
    "scene",
    "traffic_counts",
    "workload_series",
]
