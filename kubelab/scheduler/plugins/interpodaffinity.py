"""InterPodAffinity (``pkg/scheduler/framework/plugins/interpodaffinity``), vectorised.

**Filter** — a node passes when, in the node's domain of each term's ``topologyKey``:

1. every *required affinity* term finds a pod matching *all* the terms (else
   ``node(s) didn't match pod affinity rules``; a node without the key fails too).
   Exception: when no such pod exists anywhere and the pod matches its own terms,
   it is the first of a group with affinity to itself and may go anywhere;
2. no pod matches a *required anti-affinity* term (else ``node(s) didn't match pod
   anti-affinity rules``);
3. no *existing* pod's required anti-affinity term matches the incoming pod (else
   ``node(s) didn't satisfy existing pods anti-affinity rules``) — symmetry.

**Score** — per domain, Σ weights of the pod's preferred terms over matching pods
(anti-affinity negative), plus the existing pods' terms that match the incoming pod
(required affinity with ``hardPodAffinityWeight`` 1, preferred ± weight); then
normalised to 0–100 between the lowest and highest feasible node.

Counts come from :mod:`kubelab.scheduler.podgroups`: pods matching a term on each
node are a sum of per-group arrays, and per-domain counts one ``np.bincount``.

Examples
--------
>>> from kubelab.scheduler.nodetable import NodeTable
>>> from kubelab.scheduler.podinfo import PodInfo
>>> from kubelab.scheduler.framework import CycleState
>>> table = NodeTable()
>>> for name in ("n1", "n2", "n3"):
...     _ = table.set_node({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}})
>>> def web(name):
...     return PodInfo.from_pod({"metadata": {"name": name, "namespace": "default",
...         "labels": {"app": "web"}}, "spec": {"affinity": {"podAntiAffinity": {
...         "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels":
...         {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}}}})
>>> table.add_pod(web("web-1"), "n1")
>>> plugin = InterPodAffinity(); state = CycleState(web("web-2"), table)
>>> _ = plugin.pre_filter(state)
>>> [(reason, mask.tolist()) for reason, mask in plugin.filter(state)]
[("node(s) didn't match pod anti-affinity rules", [True, False, False])]
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import UNSCHEDULABLE, CycleState, FilterPlugin, ScorePlugin
from kubelab.scheduler.podgroups import (
    PREFERRED_AFFINITY,
    PREFERRED_ANTI,
    REQUIRED_AFFINITY,
    REQUIRED_ANTI,
    domain_counts,
    domains,
    spread,
)

__all__ = [
    "ERR_REASON_AFFINITY",
    "ERR_REASON_ANTI_AFFINITY",
    "ERR_REASON_EXISTING_ANTI_AFFINITY",
    "InterPodAffinity",
]

ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
HARD_POD_AFFINITY_WEIGHT = 1  # InterPodAffinityArgs.hardPodAffinityWeight default
_EXISTING_SCORE_KINDS = (REQUIRED_AFFINITY, PREFERRED_AFFINITY, PREFERRED_ANTI)
_EXISTING_FILTER_KINDS = (REQUIRED_ANTI,)


def _term_predicate(terms, handle):
    """``predicate(namespace, labels, terminating)``: does a pod match every term?"""

    def predicate(namespace, labels, _terminating):
        ns_labels = None
        for term in terms:
            if term.namespace_selector is not None and ns_labels is None:
                ns_labels = handle.namespace_labels(namespace)
            if not term.matches(namespace, labels, ns_labels):
                return False
        return True

    return predicate


def matching_per_slot(state: CycleState, terms) -> np.ndarray:
    """Pods on each node slot matching every term of ``terms``."""
    table, handle = state.table, state.handle
    uses_ns_labels = any(t.namespace_selector is not None for t in terms)
    key = ("affinity", terms, handle.namespace_version if uses_ns_labels else 0)
    ids = table.groups.matching(key, _term_predicate(terms, handle))
    return table.groups.per_slot(ids, table.size)


def _in_domain_with_pods(table, key: str, per_slot: np.ndarray) -> np.ndarray:
    """Nodes having ``key`` whose domain holds at least one of the counted pods."""
    index, n = domains(table, key)
    counts = domain_counts(index, n, per_slot)
    return spread(index, counts > 0, missing=False)


class InterPodAffinity(FilterPlugin, ScorePlugin):
    name = "InterPodAffinity"
    weight = 2
    code = UNSCHEDULABLE  # affinity failures are UnschedulableAndUnresolvable: see unresolvable

    # -- filter ------------------------------------------------------------------------------
    def pre_filter(self, state: CycleState):
        pod, table = state.pod, state.table
        size = table.size
        affinity_fail = np.zeros(size, dtype=bool)
        anti_fail = np.zeros(size, dtype=bool)
        existing_fail = np.zeros(size, dtype=bool)

        # 3. Existing pods' required anti-affinity against the incoming pod (symmetry).
        for entry in table.groups.terms_matching(
            _EXISTING_FILTER_KINDS, pod.namespace, pod.labels, state.handle
        ):
            existing_fail |= _in_domain_with_pods(table, entry.term.topology_key, entry.view(size))

        # 1. Required affinity: pods matching *all* terms, counted per term's domain.
        terms = pod.required_affinity
        if terms:
            per_slot = matching_per_slot(state, terms)
            exists = np.ones(size, dtype=bool)
            has_keys = np.ones(size, dtype=bool)
            any_counted = False
            for term in terms:
                index, n = domains(table, term.topology_key)
                has_keys &= index >= 0
                counts = domain_counts(index, n, per_slot)
                any_counted = any_counted or bool(counts.any())
                exists &= spread(index, counts > 0, missing=False)
            first_of_group = not any_counted and all(
                t.matches(pod.namespace, pod.labels, state.handle.namespace_labels(pod.namespace))
                for t in terms
            )
            affinity_fail = ~has_keys if first_of_group else ~(has_keys & exists)

        # 2. Required anti-affinity: any matching pod in the node's domain.
        for term in pod.required_anti_affinity:
            per_slot = matching_per_slot(state, (term,))
            if per_slot.any():
                anti_fail |= _in_domain_with_pods(table, term.topology_key, per_slot)

        state.data[self.name] = (affinity_fail, anti_fail, existing_fail)
        return None

    def filter(self, state: CycleState):
        if self.name not in state.data:
            self.pre_filter(state)
        affinity_fail, anti_fail, existing_fail = state.data[self.name]
        out = []
        if affinity_fail.any():
            out.append((ERR_REASON_AFFINITY, affinity_fail))
        anti = anti_fail & ~affinity_fail
        if anti.any():
            out.append((ERR_REASON_ANTI_AFFINITY, anti))
        existing = existing_fail & ~affinity_fail & ~anti_fail
        if existing.any():
            out.append((ERR_REASON_EXISTING_ANTI_AFFINITY, existing))
        return out

    def unresolvable(self, state: CycleState):
        # Affinity rules are UnschedulableAndUnresolvable: evicting pods can't create a match.
        verdicts = state.data.get(self.name)
        return None if verdicts is None else verdicts[0]

    # -- score -------------------------------------------------------------------------------
    def pre_score(self, state: CycleState) -> bool:
        pod, table = state.pod, state.table
        if pod.preferred_affinity or pod.preferred_anti_affinity:
            return True
        return bool(
            table.groups.terms_matching(
                _EXISTING_SCORE_KINDS, pod.namespace, pod.labels, state.handle
            )
        )

    def topology_score(self, state: CycleState) -> np.ndarray:
        """Per node slot, the sum over the domains it belongs to (before normalising)."""
        pod, table = state.pod, state.table
        size = table.size
        total = np.zeros(size, dtype=np.int64)

        def add(key, per_slot, weight):
            index, n = domains(table, key)
            total[:] += weight * spread(index, domain_counts(index, n, per_slot), missing=0)

        for weight, term in pod.preferred_affinity:
            add(term.topology_key, matching_per_slot(state, (term,)), weight)
        for weight, term in pod.preferred_anti_affinity:
            add(term.topology_key, matching_per_slot(state, (term,)), -weight)
        for entry in table.groups.terms_matching(
            _EXISTING_SCORE_KINDS, pod.namespace, pod.labels, state.handle
        ):
            term = entry.term
            if entry.kind == REQUIRED_AFFINITY:
                weight = HARD_POD_AFFINITY_WEIGHT
            else:
                weight = entry.weight if entry.kind == PREFERRED_AFFINITY else -entry.weight
            add(term.topology_key, entry.view(size), weight)
        return total

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        cached = state.data.get(self.name + ".score")
        if cached is None:
            cached = state.data[self.name + ".score"] = self.topology_score(state)
        return cached[slots]

    def normalize(self, state: CycleState, scores: np.ndarray) -> np.ndarray:
        if len(scores) == 0:
            return scores
        low, high = int(scores.min()), int(scores.max())
        if high == low:
            return np.zeros(len(scores), dtype=np.int64)
        # float64(MaxNodeScore) * (float64(s - min) / float64(max - min)), truncated.
        return (100.0 * ((scores - low) / (high - low))).astype(np.int64)
