"""Seeing the cluster: history, events and resource usage (metrics-server) as tidy DataFrames,
state as a networkx graph."""

from kubelab.observe.frames import audit_frame, events_frame
from kubelab.observe.graph import cluster_graph
from kubelab.observe.history import HISTORY_COLUMNS, Recorder
from kubelab.observe.metrics import METRICS_COLUMNS, MetricsServer

__all__ = [
    "HISTORY_COLUMNS",
    "METRICS_COLUMNS",
    "MetricsServer",
    "Recorder",
    "audit_frame",
    "cluster_graph",
    "events_frame",
]
