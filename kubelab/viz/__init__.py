"""Pictures and widget labs for kubelab (matplotlib and ipywidgets are imported on use).

The model never imports this package: every function here reads a cluster through
``c.graph`` / ``c.history`` / ``c.events`` and the learner-facing API.
"""

from __future__ import annotations

from kubelab.viz.draw import draw_cluster, palette_for
from kubelab.viz.ingress import IngressLab, draw_ingress_routes, ingress_lab, plot_ingress_traffic
from kubelab.viz.labs import SelectorLab, SelectorSeries, selector_lab
from kubelab.viz.plots import history_marks, plot_history
from kubelab.viz.probe_lab import ProbeLab, probe_lab
from kubelab.viz.quota_lab import QuotaLab, quota_lab
from kubelab.viz.rollout_lab import (
    RolloutLab,
    plot_availability,
    plot_rollout,
    rollout_lab,
    rollout_series,
)
from kubelab.viz.scene import scene
from kubelab.viz.scheduling import SchedulingLab, plot_scheduling, scheduling_lab, scheduling_table
from kubelab.viz.series import node_transitions, pod_counts, traffic_counts, workload_series
from kubelab.viz.storage_lab import StorageLab, plot_volume_phases, storage_lab
from kubelab.viz.traffic_lab import TrafficLab, traffic_lab
from kubelab.viz.usage import plot_usage, usage_series
from kubelab.viz.widgets import ClusterLab, cluster_lab

__all__ = [
    "ClusterLab",
    "IngressLab",
    "ProbeLab",
    "QuotaLab",
    "RolloutLab",
    "SchedulingLab",
    "SelectorLab",
    "SelectorSeries",
    "StorageLab",
    "TrafficLab",
    "cluster_lab",
    "draw_cluster",
    "draw_ingress_routes",
    "history_marks",
    "ingress_lab",
    "node_transitions",
    "palette_for",
    "plot_availability",
    "plot_history",
    "plot_ingress_traffic",
    "plot_rollout",
    "plot_scheduling",
    "plot_usage",
    "plot_volume_phases",
    "pod_counts",
    "probe_lab",
    "quota_lab",
    "rollout_lab",
    "rollout_series",
    "scene",
    "scheduling_lab",
    "scheduling_table",
    "selector_lab",
    "storage_lab",
    "traffic_counts",
    "traffic_lab",
    "usage_series",
    "workload_series",
]
