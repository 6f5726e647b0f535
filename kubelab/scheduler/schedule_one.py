"""One scheduling cycle (``pkg/scheduler/schedule_one.go``): filter, score, select a host.

1. **PreFilter** may reject the pod outright or narrow the candidate nodes.
2. **Filter** runs every filter plugin over all nodes as masks. A node is charged
   to the *first* plugin that rejects it, as upstream stops at the first failure.
3. Starting at a round-robin index, the first ``numFeasibleNodesToFind`` feasible
   nodes are kept; the next cycle starts where this one stopped.
4. **Score**: each plugin's scores are normalised, multiplied by its weight and
   summed; the highest total wins, ties broken uniformly at random.
5. No feasible node: a :class:`Diagnosis` builds the FitError message, with the
   preemption suffix upstream's DefaultPreemption would add (kubelab never preempts:
   a node rejected with an *Unschedulable* status reads "No preemption victims found
   for incoming pod", one rejected with *UnschedulableAndUnresolvable* reads
   "Preemption is not helpful for scheduling" — exactly upstream's text when no
   lower-priority pod could be evicted).

Examples
--------
>>> import random
>>> from kubelab.scheduler.nodetable import NodeTable
>>> from kubelab.scheduler.podinfo import PodInfo
>>> table = NodeTable()
>>> for i in (1, 2, 3):
...     _ = table.set_node({"metadata": {"name": f"node-{i}"},
...                         "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "110"}}})
>>> algorithm = SchedulingAlgorithm(Framework.default(), table, random.Random(0))
>>> big = PodInfo.from_pod({"metadata": {"name": "big", "namespace": "default"}, "spec": {
...     "containers": [{"name": "c", "resources": {"requests": {"cpu": "2"}}}]}})
>>> print(algorithm.schedule(big).message)
0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.
>>> small = PodInfo.from_pod({"metadata": {"name": "small", "namespace": "default"}, "spec": {
...     "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]}})
>>> algorithm.schedule(small).node in {"node-1", "node-2", "node-3"}
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from kubelab.scheduler.framework import (
    NO_NODES_AVAILABLE,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    Framework,
    Rejected,
    fit_error_message,
    num_feasible_nodes_to_find,
)

__all__ = ["Diagnosis", "ScheduleResult", "SchedulingAlgorithm"]

NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NOT_ELIGIBLE = "not eligible due to preemptionPolicy=Never."


@dataclass
class Diagnosis:
    """Why nodes were rejected: per filter plugin, the nodes it rejected first and its reasons."""

    state: CycleState
    num_all_nodes: int
    verdicts: list[tuple[FilterPlugin, list, np.ndarray]] = field(default_factory=list)
    pre_filter_msg: str = ""
    pre_filter_code: str = ""
    absent: int = 0  # nodes a PreFilterResult left out
    absent_reason: str = ""

    def histogram(self) -> dict[str, int]:
        """``reason → number of nodes`` (a node counts once per reason of its first failure)."""
        counts: dict[str, int] = {}
        for _plugin, rejections, failed in self.verdicts:
            for reason, mask in rejections:
                n = int(np.count_nonzero(mask & failed))
                if n:
                    counts[reason] = counts.get(reason, 0) + n
        if self.absent:
            counts[self.absent_reason] = counts.get(self.absent_reason, 0) + self.absent
        return counts

    def preemption_message(self) -> str:
        """What DefaultPreemption's PostFilter appends when it cannot help."""
        spec = self.state.pod.pod.get("spec") or {}
        if spec.get("preemptionPolicy") == "Never":
            return f"preemption: {NOT_ELIGIBLE}"
        no_victims = 0
        if not self.pre_filter_msg or self.pre_filter_code == UNSCHEDULABLE:
            for plugin, _rejections, failed in self.verdicts:
                if plugin.code == UNSCHEDULABLE:
                    resolvable = failed
                    hopeless = plugin.unresolvable(self.state)
                    if hopeless is not None:
                        resolvable = failed & ~hopeless
                    no_victims += int(np.count_nonzero(resolvable))
        if self.pre_filter_msg and self.pre_filter_code == UNSCHEDULABLE:
            no_victims = self.num_all_nodes
        counts = {NO_VICTIMS: no_victims, NOT_HELPFUL: self.num_all_nodes - no_victims}
        return "preemption: " + fit_error_message(self.num_all_nodes, counts)

    def message(self) -> str:
        """The FitError text (condition message and FailedScheduling event)."""
        return fit_error_message(
            self.num_all_nodes,
            self.histogram(),
            pre_filter=self.pre_filter_msg,
            post_filter=self.preemption_message(),
        )


@dataclass
class ScheduleResult:
    """The outcome of one cycle: a node, or the Diagnosis and message of a FitError."""

    pod: object  # PodInfo
    node: str | None = None
    slot: int = -1
    evaluated_nodes: int = 0
    feasible_nodes: int = 0
    feasible: np.ndarray | None = None  # slots kept for scoring
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # plugin → weighted scores
    total: np.ndarray | None = None
    diagnosis: Diagnosis | None = None
    message: str = ""

    @property
    def scheduled(self) -> bool:
        return self.node is not None

    def pod_add_helps(self) -> bool:
        """Could a newly assigned pod make this unschedulable pod fit? (The queueing hints of
        InterPodAffinity — a missing affinity match — and PodTopologySpread.)"""
        if self.diagnosis is None:
            return False
        for plugin, rejections, failed in self.diagnosis.verdicts:
            for reason, mask in rejections:
                if (
                    plugin.name == "PodTopologySpread"
                    or reason == "node(s) didn't match pod affinity rules"
                ) and (mask & failed).any():
                    return True
        return False


class SchedulingAlgorithm:
    """``schedulePod``: runs a :class:`Framework` over a :class:`NodeTable`.

    Parameters
    ----------
    framework : Framework
        Filter and score plugins with weights.
    table : NodeTable
        The scheduler's node cache.
    rng : random.Random
        Breaks ties between equally good nodes (the scheduler's own stream).
    """

    def __init__(self, framework: Framework, table, rng: random.Random):
        self.framework = framework
        self.table = table
        self.rng = rng
        self.next_start_node_index = 0

    def _candidates(self, state: CycleState, diagnosis: Diagnosis) -> np.ndarray | None:
        """PreFilter: the nodes to consider, or None when a plugin rejected the pod."""
        table = self.table
        names, narrowing = None, []
        try:
            for plugin in self.framework.filters:
                result = plugin.pre_filter(state)
                if result is not None:
                    narrowing.append(result.plugin)
                    names = result.node_names if names is None else names & result.node_names
        except Rejected as rejected:
            diagnosis.pre_filter_msg, diagnosis.pre_filter_code = rejected.message, rejected.code
            return None
        if names is None:
            return table.order()
        if not names:
            plugins = " ".join(narrowing)
            diagnosis.pre_filter_msg = (
                f"node(s) didn't satisfy plugin(s) [{plugins}] simultaneously"
                if len(narrowing) > 1
                else f"node(s) didn't satisfy plugin {plugins}"
            )
            diagnosis.pre_filter_code = UNSCHEDULABLE
            return None
        slots = np.array(
            sorted(table.slot_of[n] for n in names if n in table.slot_of), dtype=np.int64
        )
        diagnosis.absent = len(table) - len(slots)
        diagnosis.absent_reason = (
            f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(narrowing))}]"
        )
        return slots

    def run_filters(self, state: CycleState, candidates: np.ndarray, diagnosis: Diagnosis):
        """Every filter over every node; returns the mask of nodes that pass them all."""
        table = self.table
        alive = np.zeros(table.size, dtype=bool)
        alive[candidates] = True
        for plugin in self.framework.filters:
            rejections = plugin.filter(state)
            if not rejections:
                continue
            failed = rejections[0][1]
            for _reason, mask in rejections[1:]:
                failed = failed | mask
            failed = failed & alive
            if failed.any():
                diagnosis.verdicts.append((plugin, rejections, failed))
                alive &= ~failed
        return alive

    def run_scores(self, state: CycleState, slots: np.ndarray) -> tuple[dict, np.ndarray]:
        """Normalised, weighted scores per plugin, and their sum, for ``slots``."""
        total = np.zeros(len(slots), dtype=np.int64)
        scores = {}
        for plugin, weight in self.framework.scores:
            if not plugin.pre_score(state):
                continue
            weighted = plugin.normalize(state, plugin.score(state, slots)) * weight
            scores[plugin.name] = weighted
            total += weighted
        return scores, total

    def schedule(self, pod) -> ScheduleResult:
        """Find a node for ``pod`` (a PodInfo); does not touch the table."""
        table = self.table
        result = ScheduleResult(pod)
        if len(table) == 0:
            result.message = NO_NODES_AVAILABLE
            return result
        state = CycleState(pod, table, handle=self.framework.handle)
        diagnosis = Diagnosis(state, len(table))
        candidates = self._candidates(state, diagnosis)
        if candidates is None or len(candidates) == 0:
            if candidates is not None:  # a PreFilterResult named only nodes that don't exist
                diagnosis.absent = len(table)
            result.diagnosis, result.message = diagnosis, diagnosis.message()
            return result
        alive = self.run_filters(state, candidates, diagnosis)

        n = len(candidates)
        start = self.next_start_node_index % n
        # Positions (in candidate order) of the feasible nodes, scanning from ``start`` round.
        dense = n == table.size  # no holes: candidate i is slot i
        positions = np.flatnonzero(alive if dense else alive[candidates])
        if start:
            split = int(np.searchsorted(positions, start))
            positions = np.concatenate((positions[split:], positions[:split]))
        cut = n
        wanted = num_feasible_nodes_to_find(n, self.framework.percentage_of_nodes_to_score)
        if wanted < n and wanted <= len(positions):
            positions = positions[:wanted]
            cut = (int(positions[-1]) - start) % n + 1  # nodes processed to find them
        feasible = positions if dense else candidates[positions]
        self.next_start_node_index = (start + cut) % n
        result.evaluated_nodes, result.feasible_nodes = cut + diagnosis.absent, len(feasible)
        result.feasible = feasible

        if len(feasible) == 0:
            result.diagnosis, result.message = diagnosis, diagnosis.message()
            return result
        if len(feasible) == 1:  # upstream skips scoring (and the random tie-break)
            chosen = int(feasible[0])
        else:
            result.scores, result.total = self.run_scores(state, feasible)
            ties = np.flatnonzero(result.total == result.total.max())
            # selectHost's reservoir sampling picks uniformly among the ties; one draw does too.
            pick = ties[self.rng.randrange(len(ties))] if len(ties) > 1 else ties[0]
            chosen = int(feasible[pick])
        result.slot, result.node = chosen, table.names[chosen]
        return result
