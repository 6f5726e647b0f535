"""PodTopologySpread (``pkg/scheduler/framework/plugins/podtopologyspread``), vectorised.

**Constraints** — the pod's ``topologySpreadConstraints``; a pod with none that is
selected by a Service, ReplicationController, ReplicaSet or StatefulSet gets the
cluster defaults (``defaultingType: System``): hostname ``maxSkew`` 3 and zone
``maxSkew`` 5, both ``ScheduleAnyway``. Matching pods are those of the pod's
namespace matching the selector, not terminating. Nodes count toward the domains
when they have every constraint's key and pass the inclusion policies
(``nodeAffinityPolicy`` Honor: the pod's nodeSelector/required affinity;
``nodeTaintsPolicy`` Ignore by default).

**Filter** (``DoNotSchedule``) — ``matching in the node's domain + (1 if the pod
matches itself) − global minimum ≤ maxSkew``, the minimum being 0 while fewer than
``minDomains`` domains exist; a node missing a key fails ``... (missing required
label)``.

**Score** (``ScheduleAnyway``) — per node ``Σ count × log(domains + 2) + maxSkew − 1``
(hostname: the node's own count), rounded; normalised reversed: fewer matching pods,
higher score.

Examples
--------
>>> from kubelab.scheduler.nodetable import NodeTable
>>> from kubelab.scheduler.podinfo import PodInfo
>>> from kubelab.scheduler.framework import CycleState
>>> table = NodeTable()
>>> for name, zone in [("n1", "a"), ("n2", "a"), ("n3", "b")]:
...     _ = table.set_node({"metadata": {"name": name, "labels": {"zone": zone}}})
>>> def pod(name):
...     return PodInfo.from_pod({"metadata": {"name": name, "namespace": "default",
...         "labels": {"foo": "bar"}}, "spec": {"topologySpreadConstraints": [{"maxSkew": 1,
...         "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
...         "labelSelector": {"matchLabels": {"foo": "bar"}}}]}})
>>> table.add_pod(pod("p1"), "n1")
>>> plugin = PodTopologySpread(); state = CycleState(pod("p2"), table)
>>> _ = plugin.pre_filter(state)
>>> [(reason, mask.tolist()) for reason, mask in plugin.filter(state)]
[("node(s) didn't match pod topology spread constraints", [True, True, False])]
"""

from __future__ import annotations

import math

import numpy as np

from kubelab.scheduler.affinity import (
    DO_NOT_SCHEDULE,
    HONOR,
    HOSTNAME,
    SCHEDULE_ANYWAY,
    system_default_constraints,
)
from kubelab.scheduler.framework import (
    MAX_NODE_SCORE,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    ScorePlugin,
)
from kubelab.scheduler.podgroups import domain_counts, domains, spread

__all__ = [
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "PodTopologySpread",
]

ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
_MAX_INT32 = 2**31 - 1


def _matching_per_slot(state: CycleState, selector) -> np.ndarray:
    """``countPodsMatchSelector`` on every node: same namespace, selector, not terminating."""
    table, namespace = state.table, state.pod.namespace
    ids = table.groups.matching(
        ("spread", namespace, selector),
        lambda ns, labels, terminating: (
            ns == namespace and not terminating and selector.matches(labels)
        ),
    )
    return table.groups.per_slot(ids, table.size)


def _inclusion(state: CycleState, constraint) -> np.ndarray:
    """Nodes passing the constraint's node inclusion policies."""
    from kubelab.scheduler.plugins.nodeaffinity import NodeAffinity
    from kubelab.scheduler.plugins.tainttoleration import TaintToleration

    table = state.table
    mask = np.ones(table.size, dtype=bool)
    if constraint.node_affinity_policy == HONOR:
        matching = NodeAffinity().matching(state)
        if matching is not None:
            mask &= matching
    if constraint.node_taints_policy == HONOR:
        per_signature, _reasons = TaintToleration()._verdicts(state)
        mask &= per_signature[table.taint_signature[: table.size]] < 0
    return mask


class PodTopologySpread(FilterPlugin, ScorePlugin):
    name = "PodTopologySpread"
    weight = 2
    code = UNSCHEDULABLE  # a missing label is UnschedulableAndUnresolvable: see unresolvable

    def constraints(self, state: CycleState, when: str):
        """The pod's constraints of one kind, or the system defaults (ScheduleAnyway)."""
        pod = state.pod
        if pod.spread:
            return tuple(c for c in pod.spread if c.when_unsatisfiable == when)
        if when != SCHEDULE_ANYWAY:
            return ()
        key = self.name + ".defaults"
        if key not in state.data:
            selector = state.handle.default_selector(pod.pod)
            state.data[key] = () if selector is None else system_default_constraints(selector)
        return state.data[key]

    # -- filter ------------------------------------------------------------------------------
    def pre_filter(self, state: CycleState):
        table, pod = state.table, state.pod
        size = table.size
        constraints = self.constraints(state, DO_NOT_SCHEDULE)
        missing = np.zeros(size, dtype=bool)
        skewed = np.zeros(size, dtype=bool)
        if constraints:
            indexes = [domains(table, c.topology_key) for c in constraints]
            has_all = np.ones(size, dtype=bool)
            for index, _n in indexes:
                has_all &= index >= 0
            decided = np.zeros(size, dtype=bool)
            for c, (index, n) in zip(constraints, indexes, strict=True):
                eligible = has_all & _inclusion(state, c) & table.active[:size]
                counts = domain_counts(index, n, _matching_per_slot(state, c.selector), eligible)
                present = np.bincount(index[eligible & (index >= 0)], minlength=n) > 0
                domains_num = int(np.count_nonzero(present))
                min_match = int(counts[present].min()) if domains_num else _MAX_INT32
                if domains_num < c.min_domains:
                    min_match = 0
                self_match = 1 if c.selector.matches(pod.labels) else 0
                skew = spread(index, counts, missing=0) + self_match - min_match
                no_key = (index < 0) & ~decided
                too_skewed = (index >= 0) & (skew > c.max_skew) & ~decided
                missing |= no_key
                skewed |= too_skewed
                decided |= no_key | too_skewed
        state.data[self.name] = (missing, skewed)
        return None

    def filter(self, state: CycleState):
        if self.name not in state.data:
            self.pre_filter(state)
        missing, skewed = state.data[self.name]
        out = []
        if skewed.any():
            out.append((ERR_REASON_CONSTRAINTS_NOT_MATCH, skewed))
        if missing.any():
            out.append((ERR_REASON_NODE_LABEL_NOT_MATCH, missing))
        return out

    def unresolvable(self, state: CycleState):
        verdicts = state.data.get(self.name)
        return None if verdicts is None else verdicts[0]

    # -- score -------------------------------------------------------------------------------
    def pre_score(self, state: CycleState) -> bool:
        return bool(self.constraints(state, SCHEDULE_ANYWAY))

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        """Raw scores of the feasible ``slots`` (``initPreScoreState`` + ``Score``)."""
        table, pod = state.table, state.pod
        size = table.size
        constraints = self.constraints(state, SCHEDULE_ANYWAY)
        require_all = bool(pod.spread)  # system defaults don't require every key
        indexes = [domains(table, c.topology_key) for c in constraints]
        ignored = np.zeros(len(slots), dtype=bool)
        if require_all:
            for index, _n in indexes:
                ignored |= index[slots] < 0
        counted_slots = slots[~ignored]
        has_all = np.ones(size, dtype=bool)
        if require_all:
            for index, _n in indexes:
                has_all &= index >= 0
        score = np.zeros(len(slots), dtype=np.float64)
        for c, (index, n) in zip(constraints, indexes, strict=True):
            if n == 0:
                continue  # no node has the key: the constraint scores nothing anywhere
            per_slot = _matching_per_slot(state, c.selector)
            if c.topology_key == HOSTNAME:
                size_c = len(counted_slots)
                count = per_slot[slots]
            else:
                # Domains of the candidate nodes (nodes without the key share domain "").
                candidate = index[counted_slots]
                wanted = np.zeros(n + 1, dtype=bool)
                wanted[np.where(candidate >= 0, candidate, n)] = True
                size_c = int(np.count_nonzero(wanted))
                eligible = has_all & _inclusion(state, c) & table.active[:size]
                counts = domain_counts(index, n, per_slot, eligible)
                count = spread(index, counts, missing=0)[slots]
            weight = math.log(size_c + 2)
            has_key = index[slots] >= 0
            score += np.where(has_key, count * weight + (c.max_skew - 1), 0.0)
        score[ignored] = 0
        state.data[self.name + ".ignored"] = ignored
        # Go's math.Round: half away from zero (numpy rounds half to even).
        return np.floor(score + 0.5).astype(np.int64)

    def normalize(self, state: CycleState, scores: np.ndarray) -> np.ndarray:
        ignored = state.data.get(self.name + ".ignored")
        if ignored is None or len(ignored) != len(scores):
            ignored = np.zeros(len(scores), dtype=bool)
        kept = scores[~ignored]
        if len(kept) == 0:
            return np.zeros(len(scores), dtype=np.int64)
        low, high = int(kept.min()), int(kept.max())
        if high == 0:
            out = np.full(len(scores), MAX_NODE_SCORE, dtype=np.int64)
        else:
            out = MAX_NODE_SCORE * (high + low - scores) // high
        out[ignored] = 0
        return out.astype(np.int64)
