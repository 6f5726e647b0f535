"""TaintToleration: NoSchedule/NoExecute taints repel pods that do not tolerate them;
PreferNoSchedule taints only lower the node's score.

Nodes are grouped by their taint list (the table's *signatures*), so the
toleration checks run once per distinct list, not once per node.

Examples
--------
>>> from kubelab.scheduler.nodetable import NodeTable
>>> from kubelab.scheduler.podinfo import PodInfo
>>> from kubelab.scheduler.framework import CycleState
>>> table = NodeTable()
>>> for name, taints in [("a", []), ("b", [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}])]:
...     _ = table.set_node({"metadata": {"name": name}, "spec": {"taints": taints}})
>>> pod = PodInfo.from_pod({"metadata": {"name": "p"}, "spec": {"containers": []}})
>>> [(reason, mask.tolist()) for reason, mask in TaintToleration().filter(CycleState(pod, table))]
[('node(s) had untolerated taint {gpu: yes}', [False, True])]
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import (
    CycleState,
    FilterPlugin,
    ScorePlugin,
    default_normalize_score,
)
from kubelab.scheduler.taints import PREFER_NO_SCHEDULE, find_untolerated_taint, tolerates_taint

__all__ = ["TaintToleration"]


def untolerated_reason(taint) -> str:
    return f"node(s) had untolerated taint {{{taint[0]}: {taint[1]}}}"


class TaintToleration(FilterPlugin, ScorePlugin):
    name = "TaintToleration"
    weight = 3

    def _verdicts(self, state: CycleState):
        """Per signature: index of the reason it fails with (-1: passes), and the reasons."""
        table, tolerations = state.table, state.pod.tolerations

        def build():
            reasons: list[str] = []
            per_signature = np.full(len(table.signatures), -1, dtype=np.int32)
            for sig, taints in enumerate(table.signatures):
                taint = find_untolerated_taint(taints, tolerations)
                if taint is not None:
                    reason = untolerated_reason(taint)
                    if reason not in reasons:
                        reasons.append(reason)
                    per_signature[sig] = reasons.index(reason)
            return per_signature, reasons

        return table.cached(("TaintToleration.filter", tolerations), build)

    def filter(self, state: CycleState):
        per_signature, reasons = self._verdicts(state)
        if not reasons:
            return []
        table = state.table
        per_node = per_signature[table.taint_signature[: table.size]]
        return [(reason, per_node == i) for i, reason in enumerate(reasons)]

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        table, tolerations = state.table, state.pod.tolerations

        def build():
            # Tolerations with an empty effect tolerate every effect, PreferNoSchedule included.
            prefer = [t for t in tolerations if t[3] in ("", PREFER_NO_SCHEDULE)]
            return np.array(
                [
                    sum(
                        1
                        for taint in taints
                        if taint[2] == PREFER_NO_SCHEDULE
                        and not any(tolerates_taint(t, taint) for t in prefer)
                    )
                    for taints in table.signatures
                ],
                dtype=np.int64,
            )

        counts = table.cached(("TaintToleration.score", tolerations), build)
        return counts[table.taint_signature[slots]]

    def normalize(self, state: CycleState, scores: np.ndarray) -> np.ndarray:
        return default_normalize_score(scores, reverse=True)
