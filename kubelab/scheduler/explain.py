"""Explain a scheduling decision: every node, the filter that rejected it, every score.

Runs the same plugins as a cycle, on *all* nodes (no ``numFeasibleNodesToFind``
cut-off), and changes nothing: no random draw, no round-robin step.

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
>>> scores = ["TaintToleration", "NodeResourcesFit", "NodeResourcesBalancedAllocation", "total"]
>>> df.set_index("node").loc["big", scores].astype(int).tolist()
[300, 62, 87, 449]
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import CycleState
from kubelab.scheduler.schedule_one import Diagnosis

__all__ = ["explain"]


def explain(algorithm, pod):
    """A ``pandas.DataFrame``, one row per node: ``node, feasible, filter, reasons``, then one
    column per score plugin (normalised × weight) and ``total``."""
    import pandas as pd

    table = algorithm.table
    state = CycleState(pod, table)
    diagnosis = Diagnosis(state, len(table))
    candidates = algorithm._candidates(state, diagnosis)
    order = table.order()
    rows = {
        int(s): {"node": table.names[s], "feasible": False, "filter": "", "reasons": ""}
        for s in order
    }
    if candidates is None:
        for row in rows.values():
            row["filter"], row["reasons"] = "PreFilter", diagnosis.pre_filter_msg
        return pd.DataFrame(list(rows.values()))
    outside = set(rows) - {int(s) for s in candidates}
    for slot in outside:
        rows[slot]["filter"], rows[slot]["reasons"] = "PreFilter", diagnosis.absent_reason
    alive = algorithm.run_filters(state, candidates, diagnosis)
    for plugin, rejections, failed in diagnosis.verdicts:
        for slot in np.flatnonzero(failed):
            row = rows[int(slot)]
            row["filter"] = plugin.name
            row["reasons"] = ", ".join(r for r, mask in rejections if mask[slot])
    feasible = order[alive[order]]
    scores, total = algorithm.run_scores(state, feasible) if len(feasible) else ({}, [])
    names = [plugin.name for plugin, _ in algorithm.framework.scores]
    for i, slot in enumerate(feasible):
        row = rows[int(slot)]
        row["feasible"] = True
        for name in names:
            row[name] = int(scores[name][i]) if name in scores else 0
        row["total"] = int(total[i])
    frame = pd.DataFrame(list(rows.values()))
    for column in [*names, "total"]:
        frame[column] = frame[column].astype("Int64") if column in frame else pd.NA
    return frame
