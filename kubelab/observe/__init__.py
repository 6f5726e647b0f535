"""Seeing the cluster: history and events as tidy DataFrames, state as a networkx graph."""

from kubelab.observe.frames import audit_frame, events_frame
from kubelab.observe.graph import cluster_graph
from kubelab.observe.history import HISTORY_COLUMNS, Recorder

__all__ = ["HISTORY_COLUMNS", "Recorder", "audit_frame", "cluster_graph", "events_frame"]
