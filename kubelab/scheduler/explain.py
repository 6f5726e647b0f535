"""Explain a scheduling decision: every node, every filter's verdict, every score.

Runs the same plugins as a cycle, on *all* nodes (no ``numFeasibleNodesToFind``
cut-off), and changes nothing: no random draw, no round-robin step.

Columns of the DataFrame (one row per node, in the scheduler's node order):

``node``, ``feasible``
    the node, and whether it passed every filter;
``filter``, ``reasons``
    the first filter that rejected it and its reasons: what the FailedScheduling
    message counts (upstream stops at the first failing filter);
``<Filter>.filter``
    every filter plugin's own verdict: ``"pass"`` or its reasons (kubelab runs all);
``<Score>.raw``, ``<Score>.normalized``, ``<Score>``
    every score plugin's raw score, its score normalised to 0–100, and that times the
    plugin's weight (``<NA>`` on infeasible nodes; a plugin that skips the pod scores 0);
``total``
    Σ weighted scores: the highest total wins (ties broken at random).

Examples
--------
>>> import random
>>> from kubelab.scheduler.framework import Framework
>>> from kubelab.scheduler.nodetable import NodeTable
>>> from kubelab.scheduler.podinfo import PodInfo
>>> from kubelab.scheduler.schedule_one import SchedulingAlgorithm
>>> table = NodeTable()
>>> for name, cpu in [("small", "1"), ("big", "4")]:
...     _ = table.set_node({"metadata": {"name": name},
...                         "status": {"allocatable": {"cpu": cpu, "memory": "4Gi", "pods": "110"}}})
>>> pod = PodInfo.from_pod({"metadata": {"name": "p", "namespace": "default"}, "spec": {
...     "containers": [{"name": "c", "resources": {"requests": {"cpu": "2", "memory": "1Gi"}}}]}})
>>> df = explain(SchedulingAlgorithm(Framework.default(), table, random.Random(0)), pod)
>>> df.loc[0, ["node", "filter", "reasons"]].tolist(), bool(df.loc[1, "feasible"])
(['small', 'NodeResourcesFit', 'Insufficient cpu'], True)
>>> df.loc[0, "NodeResourcesFit.filter"], df.loc[0, "TaintToleration.filter"]
('Insufficient cpu', 'pass')
>>> scores = ["TaintToleration", "NodeResourcesFit", "NodeResourcesBalancedAllocation", "total"]
>>> df.set_index("node").loc["big", scores].astype(int).tolist()
[300, 62, 87, 449]
>>> df.set_index("node").loc["big", ["NodeResourcesFit.raw", "NodeResourcesFit.normalized"]].astype(int).tolist()
[62, 62]
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import CycleState
from kubelab.scheduler.schedule_one import Diagnosis

__all__ = ["PASS", "explain", "filter_columns", "score_columns"]

PASS = "pass"


def filter_columns(frame) -> list[str]:
    """The ``<Filter>.filter`` columns of an explanation, in filter order."""
    return [c for c in frame.columns if str(c).endswith(".filter")]


def score_columns(frame) -> list[str]:
    """The weighted ``<Score>`` columns of an explanation, in score order."""
    return [c[: -len(".normalized")] for c in frame.columns if str(c).endswith(".normalized")]


def explain(algorithm, pod, assigned: str | None = None):
    """A ``pandas.DataFrame``, one row per node (see the module docstring for the columns).

    ``assigned``: the node the pod is bound to, if any (adds a boolean ``assigned`` column).
    """
    import pandas as pd

    table = algorithm.table
    framework = algorithm.framework
    state = CycleState(pod, table, handle=framework.handle)
    diagnosis = Diagnosis(state, len(table))
    candidates = algorithm._candidates(state, diagnosis)
    order = table.order()
    filters = framework.filters
    rows = {}
    for s in order:
        row = {"node": table.names[s], "feasible": False, "filter": "", "reasons": ""}
        for plugin in filters:
            row[f"{plugin.name}.filter"] = PASS
        rows[int(s)] = row
    score_names = [plugin.name for plugin, _ in framework.scores]
    if candidates is None:
        for row in rows.values():
            row["filter"], row["reasons"] = "PreFilter", diagnosis.pre_filter_msg
        return _frame(pd, rows, score_names, assigned)
    outside = set(rows) - {int(s) for s in candidates}
    for slot in sorted(outside):
        rows[slot]["filter"], rows[slot]["reasons"] = "PreFilter", diagnosis.absent_reason
    for plugin in filters:  # every plugin's own verdict, as if it ran alone
        for reason, mask in plugin.filter(state):
            for slot in np.flatnonzero(mask[order]):
                row = rows[int(order[slot])]
                column = f"{plugin.name}.filter"
                row[column] = reason if row[column] == PASS else f"{row[column]}, {reason}"
    alive = algorithm.run_filters(state, candidates, diagnosis)
    for plugin, rejections, failed in diagnosis.verdicts:
        for slot in np.flatnonzero(failed):
            row = rows[int(slot)]
            row["filter"] = plugin.name
            row["reasons"] = ", ".join(r for r, mask in rejections if mask[slot])
    feasible = order[alive[order]]
    if len(feasible):
        total = np.zeros(len(feasible), dtype=np.int64)
        for plugin, weight in framework.scores:
            if plugin.pre_score(state):
                raw = np.asarray(plugin.score(state, feasible))
                normalized = np.asarray(plugin.normalize(state, raw.copy()))
            else:
                raw = normalized = np.zeros(len(feasible), dtype=np.int64)
            total += normalized * weight
            for i, slot in enumerate(feasible):
                row = rows[int(slot)]
                row[f"{plugin.name}.raw"] = int(raw[i])
                row[f"{plugin.name}.normalized"] = int(normalized[i])
                row[plugin.name] = int(normalized[i]) * weight
        for i, slot in enumerate(feasible):
            rows[int(slot)]["feasible"] = True
            rows[int(slot)]["total"] = int(total[i])
    return _frame(pd, rows, score_names, assigned)


def _frame(pd, rows, score_names, assigned):
    frame = pd.DataFrame(list(rows.values()))
    columns = [c for name in score_names for c in (f"{name}.raw", f"{name}.normalized", name)]
    for column in [*columns, "total"]:
        values = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index)
        frame[column] = values.astype("Int64")
    if assigned is not None:
        frame["assigned"] = frame["node"] == assigned
    return frame
