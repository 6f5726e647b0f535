"""NodeAffinity: ``spec.nodeSelector`` and required node affinity filter; preferred
node affinity scores.

Masks are built from the table's label index (``(key, value) → nodes``) and cached
per selector until a node's labels change, so the thousands of pods of one
template share one evaluation.

Examples
--------
>>> from kubelab.scheduler.nodetable import NodeTable
>>> from kubelab.scheduler.podinfo import PodInfo
>>> from kubelab.scheduler.framework import CycleState
>>> table = NodeTable()
>>> for name, zone in [("n1", "a"), ("n2", "b"), ("n3", "c")]:
...     _ = table.set_node({"metadata": {"name": name, "labels": {"zone": zone}}})
>>> pod = PodInfo.from_pod({"metadata": {"name": "p"}, "spec": {"affinity": {"nodeAffinity": {
...     "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
...         {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}]}}}}})
>>> [(r, m.tolist()) for r, m in NodeAffinity().filter(CycleState(pod, table))]
[("node(s) didn't match Pod's node affinity/selector", [True, False, False])]
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import (
    CycleState,
    FilterPlugin,
    PreFilterResult,
    Rejected,
    ScorePlugin,
    default_normalize_score,
)

__all__ = ["ERR_REASON_CONFLICT", "ERR_REASON_POD", "NodeAffinity", "term_mask"]

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_CONFLICT = "pod affinity terms conflict"


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def requirement_mask(table, req) -> np.ndarray:
    source, key, op, values = req
    if source == "field":  # metadata.name In/NotIn one name
        slot = table.slot_of.get(values[0])
        mask = table.slots_mask(() if slot is None else (slot,))
        return mask if op == "In" else ~mask
    if op in ("In", "NotIn"):
        mask = np.zeros(table.size, dtype=bool)
        for value in values:
            mask |= table.label_mask(key, value)
        return mask if op == "In" else ~mask
    if op == "Exists":
        return table.key_mask(key)
    if op == "DoesNotExist":
        return ~table.key_mask(key)
    bound = int(values[0])  # Gt / Lt: the label must parse as an integer
    slots: set[int] = set()
    for value, holders in table.label_index.get(key, {}).items():
        number = _int(value)
        if number is not None and (number > bound if op == "Gt" else number < bound):
            slots |= holders
    return table.slots_mask(slots)


def term_mask(table, term) -> np.ndarray:
    """Nodes matching every requirement of one compiled term."""
    mask = np.ones(table.size, dtype=bool)
    for req in term:
        mask &= requirement_mask(table, req)
    return mask


class NodeAffinity(FilterPlugin, ScorePlugin):
    name = "NodeAffinity"
    weight = 2

    def pre_filter(self, state: CycleState):
        names = state.pod.required_names
        if names is None:
            return None
        if not names:
            raise Rejected(ERR_REASON_CONFLICT)
        return PreFilterResult(names, self.name)

    def matching(self, state: CycleState) -> np.ndarray | None:
        """Nodes satisfying nodeSelector AND required affinity (None: no constraint)."""
        pod, table = state.pod, state.table
        if not pod.node_selector and pod.required_terms is None:
            return None

        def build():
            mask = np.ones(table.size, dtype=bool)
            for key, value in pod.node_selector:
                mask &= table.label_mask(key, value)
            if pod.required_terms is not None:
                # Terms are ORed; a selector whose terms all can't match matches nothing.
                any_term = np.zeros(table.size, dtype=bool)
                for term in pod.required_terms:
                    any_term |= term_mask(table, term)
                mask &= any_term
            return mask

        return table.cached(("NodeAffinity", pod.node_selector, pod.required_terms), build)

    def filter(self, state: CycleState):
        pod, table = state.pod, state.table
        if not pod.node_selector and pod.required_terms is None:
            return []

        def build():
            failing = ~self.matching(state)
            return [(ERR_REASON_POD, failing)] if failing[table.order()].any() else []

        return table.cached(("NodeAffinity.filter", pod.node_selector, pod.required_terms), build)

    def pre_score(self, state: CycleState) -> bool:
        return bool(state.pod.preferred_terms)

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        pod, table = state.pod, state.table

        def build():
            total = np.zeros(table.size, dtype=np.int64)
            for weight, term in pod.preferred_terms:
                total += weight * term_mask(table, term)
            return total

        return table.cached(("NodeAffinity.score", pod.preferred_terms), build)[slots]

    def normalize(self, state: CycleState, scores: np.ndarray) -> np.ndarray:
        return default_normalize_score(scores)
