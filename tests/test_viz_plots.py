"""plot_history: lines, marks and the traffic extension point."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kubelab.observe import HISTORY_COLUMNS
from kubelab.viz import history_marks, plot_history


def history():
    rows = [
        (0.0, "Node", "", "node-1", "Ready", None, None, None, "node-1", None, None),
        (0.0, "Node", "", "node-2", "Ready", None, None, None, "node-2", None, None),
        (1.0, "ReplicaSet", "default", "web", "Active", 2, 0, 0, None, "1.0", None),
        (2.0, "Pod", "default", "web-a", "Running", None, 1, None, "node-1", "1.0", "web"),
        (3.0, "Pod", "default", "web-b", "Running", None, 1, None, "node-2", "1.0", "web"),
        (3.0, "ReplicaSet", "default", "web", "Active", 2, 2, 2, None, "1.0", None),
        (5.0, "Pod", "default", "api-a", "Running", None, 1, None, "node-2", "2.0", "api"),
        (40.0, "Node", "", "node-2", "Unknown", None, None, None, "node-2", None, None),
        (40.0, "Pod", "default", "web-b", "Running", None, 0, None, "node-2", "1.0", "web"),
    ]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def new_ax():
    return Figure().subplots()


def line(ax, gid):
    return next(ln for ln in ax.get_lines() if ln.get_gid() == gid)


def test_ready_pods_per_owner_with_desired_replicas():
    ax = new_ax()
    assert plot_history(history(), ax=ax) is ax
    web = line(ax, "count:web")
    assert list(web.get_xdata()) == [2.0, 3.0, 5.0, 40.0]
    assert list(web.get_ydata()) == [1, 2, 2, 1]
    assert web.get_drawstyle() == "steps-post"
    desired = line(ax, "desired:web")
    assert desired.get_linestyle() == "--" and np.nanmax(desired.get_ydata()) == 2
    assert line(ax, "count:api").get_color() != web.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["web", "api", "web desired"]
    assert ax.get_xlabel() == "simulated time (s)"


def test_node_failures_are_marked_automatically_and_marks_can_be_given():
    ax = plot_history(history(), ax=new_ax())
    assert [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "mark"] == [40.0]
    assert "node-2 NotReady" in [t.get_text() for t in ax.texts]
    ax = plot_history(history(), ax=new_ax(), marks=[(10, "scaled"), (10, "killed")])
    assert [t.get_text() for t in ax.texts] == ["scaled, killed"]
    assert not [t for t in plot_history(history(), ax=new_ax(), marks=None).texts]
    assert history_marks(history()) == [(40.0, "node-2 NotReady")]


def test_by_node_and_names_filter():
    ax = plot_history(history(), ax=new_ax(), by="node", value="count")
    assert sorted(ln.get_gid() for ln in ax.get_lines() if ln.get_gid().startswith("count")) == [
        "count:node-1",
        "count:node-2",
    ]
    ax = plot_history(history(), ax=new_ax(), names=["api"], desired=False, marks=None)
    assert [ln.get_gid() for ln in ax.get_lines()] == ["count:api"]


def test_workload_kind_shows_replicas_ready_available():
    ax = plot_history(history(), kind="ReplicaSet", ax=new_ax(), marks=None)
    assert [ln.get_gid() for ln in ax.get_lines()] == ["replicas:web", "ready:web", "available:web"]
    assert list(line(ax, "ready:web").get_ydata()) == [0.0, 2.0]


def test_traffic_frames_are_plotted_as_rates():
    traffic = pd.DataFrame(
        {
            "time": [0.1, 0.2, 1.5],
            "client": "c",
            "target": "web",
            "pod": ["a", "b", "a"],
            "node": "node-1",
            "version": ["v1", "v2", "v1"],
            "status": 200,
            "latency": 0.01,
        }
    )
    ax = plot_history(traffic, ax=new_ax())
    assert sorted(ln.get_gid() for ln in ax.get_lines()) == ["traffic:v1", "traffic:v2"]
    assert ax.get_ylabel() == "requests / s"


def test_new_figure_when_no_axes():
    import matplotlib.pyplot as plt

    ax = plot_history(history())
    assert ax.figure is not None
    plt.close(ax.figure)
