"""The numbers behind kubelab's plots, computed from hand-built history frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kubelab.observe import HISTORY_COLUMNS
from kubelab.viz import node_transitions, pod_counts, traffic_counts, workload_series


def pod(t, name, phase, ready=0, node=None, owner="web", version="1.0", ns="default"):
    if phase == "Deleted":
        return (t, "Pod", ns, name, "Deleted", None, None, None, None, None, None)
    return (t, "Pod", ns, name, phase, None, ready, None, node, version, owner)


def frame(rows):
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def test_a_pods_state_holds_until_its_next_row_and_deleted_ends_it():
    h = frame(
        [
            pod(0, "web-a", "Pending"),
            pod(2, "web-a", "Running", 1, "node-1"),
            pod(10, "web-a", "Terminating", 1, "node-1"),
            pod(12, "web-a", "Deleted"),
        ]
    )
    ready = pod_counts(h)
    assert ready.index.tolist() == [0.0, 2.0, 10.0, 12.0]
    assert ready["web"].tolist() == [0, 1, 0, 0]  # terminating pods are not counted as ready
    exists = pod_counts(h, value="count")
    assert exists["web"].tolist() == [1, 1, 1, 0]
    assert pod_counts(h, value="terminating")["web"].tolist() == [0, 0, 1, 0]


def test_rows_at_the_same_instant_give_the_final_state():
    h = frame([pod(5, "web-a", "Pending"), pod(5, "web-a", "Running", 1, "node-1")])
    counts = pod_counts(h)
    assert counts.index.tolist() == [5.0]
    assert counts.loc[5.0, "web"] == 1


def test_groups_follow_pods_that_move_between_groups():
    h = frame(
        [
            pod(0, "a", "Pending", owner="web"),
            pod(1, "a", "Running", 1, "node-1"),
            pod(3, "b", "Running", 1, "node-2", owner=None),
            pod(4, "a", "Running", 1, "node-2"),  # not realistic, but a pod may change group
        ]
    )
    by_node = pod_counts(h, by="node", value="count")
    assert list(by_node.columns) == ["(unscheduled)", "node-1", "node-2"]
    assert by_node.loc[0.0].tolist() == [1, 0, 0]
    assert by_node.loc[4.0].tolist() == [0, 0, 2]
    by_owner = pod_counts(h)
    assert list(by_owner.columns) == ["web", "(no owner)"]
    assert pod_counts(h, by=None).columns.tolist() == ["pods"]


def test_freq_resamples_on_a_grid_and_until_extends():
    h = frame([pod(1, "a", "Running", 1, "n"), pod(4.5, "b", "Running", 1, "n")])
    grid = pod_counts(h, freq=2.0, until=8)
    assert grid.index.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert grid["web"].tolist() == [0, 1, 1, 2, 2]
    extended = pod_counts(h, until=30)
    assert extended.index[-1] == 30.0 and extended["web"].iloc[-1] == 2


def test_namespace_filter_and_bad_value():
    h = frame([pod(0, "a", "Running", 1, "n"), pod(0, "b", "Running", 1, "n", ns="other")])
    assert pod_counts(h, namespace="other")["web"].tolist() == [1]
    with pytest.raises(ValueError, match="value must be one of"):
        pod_counts(h, value="happy")


def test_empty_history():
    assert pod_counts(frame([])).empty


def test_workload_series_has_nan_after_deletion():
    rows = [
        (0.0, "ReplicaSet", "default", "web", "Active", 3, 0, 0, None, "1", None),
        (2.0, "ReplicationController", "default", "kubia", "Active", 2, 2, 2, None, "1", None),
        (4.0, "ReplicaSet", "default", "web", "Active", 3, 3, 3, None, "1", None),
        (9.0, "ReplicaSet", "default", "web", "Deleted", None, None, None, None, None, None),
    ]
    s = workload_series(frame(rows), until=10)
    assert s.index.tolist() == [0.0, 2.0, 4.0, 9.0, 10.0]
    assert s[("web", "ready")].tolist()[:3] == [0.0, 0.0, 3.0]
    assert math.isnan(s.loc[9.0, ("web", "replicas")]) and math.isnan(s.loc[10.0, ("web", "ready")])
    assert math.isnan(s.loc[0.0, ("kubia", "replicas")])  # not created yet
    assert s.loc[10.0, ("kubia", "available")] == 2
    only = workload_series(frame(rows), kind="ReplicationController")
    assert only.columns.get_level_values(0).unique().tolist() == ["kubia"]
    assert workload_series(frame([])).empty


def test_node_transitions_ignore_start_up():
    node = lambda t, phase: (t, "Node", "", "node-1", phase, None, None, None, "node-1", None, None)  # noqa: E731
    h = frame([node(0, "Unknown"), node(1, "Ready"), node(50, "Unknown"), node(90, "Ready")])
    assert node_transitions(h).values.tolist() == [
        [50.0, "node-1", "Unknown"],
        [90.0, "node-1", "Ready"],
    ]


def test_traffic_counts_per_second():
    t = pd.DataFrame(
        {
            "time": [0.2, 0.4, 1.1, 2.9],
            "version": ["v1", "v2", "v1", "v1"],
            "status": [200, 200, 503, 200],
            "latency": [0.01, 0.03, 0.5, 0.02],
        }
    )
    rate = traffic_counts(t)
    assert rate.index.tolist() == [0.0, 1.0, 2.0]
    assert rate["v1"].tolist() == [1.0, 1.0, 1.0]
    assert traffic_counts(t, value="errors", by=None)["requests"].tolist() == [0.0, 1.0, 0.0]
    assert traffic_counts(t, value="latency").loc[0.0, "v2"] == pytest.approx(0.03)
