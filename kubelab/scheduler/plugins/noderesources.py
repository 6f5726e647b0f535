"""NodeResourcesFit (filter + LeastAllocated score) and NodeResourcesBalancedAllocation.

Integer maths exactly as upstream: LeastAllocated is
``(allocatable − requested) × 100 / allocatable`` per resource (integer division,
0 when over capacity, resources with zero allocatable skipped), averaged with the
resource weights (cpu 1, memory 1). BalancedAllocation is
``int((1 − |f_cpu − f_mem| / 2) × 100)`` with ``f = min(requested / allocatable, 1)``,
on actual requests, and skips pods that request nothing (v1.32+).

Examples
--------
>>> alloc = np.array([4000, 6000]); req = np.array([3000, 3000])
>>> least_requested_score(req, alloc).tolist()
[25, 50]
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import (
    MAX_NODE_SCORE,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    ScorePlugin,
)

__all__ = ["BalancedAllocation", "Fit", "least_allocated", "least_requested_score"]

DEFAULT_RESOURCES = (("cpu", 1), ("memory", 1))


def least_requested_score(requested: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``leastRequestedScore`` elementwise (0 where capacity is 0 or exceeded)."""
    # Requests are never negative, so a zero capacity gives 0 here without a special case.
    score = (capacity - requested) * MAX_NODE_SCORE // np.maximum(capacity, 1)
    score[requested > capacity] = 0
    return score


def least_allocated(resources) -> np.ndarray:
    """``leastResourceScorer``: ``resources`` is ``[(requested, allocatable, weight), ...]``.

    >>> a = np.array([10000, 10000]); m = np.array([20000, 50000])
    >>> least_allocated([(np.array([6000, 6000]), a, 1), (np.array([5000, 10000]), m, 1)]).tolist()
    [57, 60]
    """
    if all(allocatable.all() for _, allocatable, _ in resources):  # the usual case
        num = sum(least_requested_score(req, alloc) * w for req, alloc, w in resources)
        return num // sum(w for _, _, w in resources)
    num = den = 0
    for requested, allocatable, weight in resources:
        counted = allocatable != 0
        num = num + least_requested_score(requested, allocatable) * weight * counted
        den = den + weight * counted
    den = np.asarray(den)
    return np.where(den > 0, np.asarray(num) // np.maximum(den, 1), 0).astype(np.int64)


class Fit(FilterPlugin, ScorePlugin):
    """NodeResourcesFit with the default LeastAllocated scoring strategy."""

    name = "NodeResourcesFit"
    weight = 1
    code = UNSCHEDULABLE

    def __init__(self, resources=DEFAULT_RESOURCES):
        self.resources = tuple(resources)

    def filter(self, state: CycleState):
        table, req = state.table, state.pod.requests
        n = table.size
        out = []
        too_many = table.free_pods[:n] < 1
        if too_many.any():
            out.append(("Too many pods", too_many))
        if req.is_zero():
            return out  # a pod that requests nothing only needs a pod slot
        for amount, free, reason in (
            (req.cpu, table.free_cpu, "Insufficient cpu"),
            (req.memory, table.free_memory, "Insufficient memory"),
            (req.ephemeral, table.free_ephemeral, "Insufficient ephemeral-storage"),
        ):
            if amount > 0:
                short = free[:n] < amount
                if short.any():
                    out.append((reason, short))
        for name, amount in sorted(req.scalar.items()):
            if amount == 0:
                continue
            allocatable = table.scalar_allocatable.get(name)
            requested = table.scalar_requested.get(name)
            free = np.zeros(n, dtype=np.int64)
            if allocatable is not None:
                free += allocatable[:n]
            if requested is not None:
                free -= requested[:n]
            short = amount > free
            if short.any():
                out.append((f"Insufficient {name}", short))
        return out

    def unresolvable(self, state: CycleState) -> np.ndarray | None:
        # v1.34+: a request larger than the whole node can't be fixed by preemption.
        table, req = state.table, state.pod.requests
        n = table.size
        mask = np.zeros(n, dtype=bool)
        for amount, allocatable in (
            (req.cpu, table.allocatable_cpu),
            (req.memory, table.allocatable_memory),
            (req.ephemeral, table.allocatable_ephemeral),
        ):
            if amount > 0:
                mask |= amount > allocatable[:n]
        for name, amount in req.scalar.items():
            if amount > 0:
                allocatable = table.scalar_allocatable.get(name)
                mask |= amount > (allocatable[:n] if allocatable is not None else 0)
        return mask

    def _requested(self, state: CycleState, resource: str, slots: np.ndarray):
        """(requested incl. the pod, allocatable) with non-zero defaults, for scoring."""
        pod, table = state.pod, state.table
        if resource == "cpu":
            return table.non_zero_cpu[slots] + pod.non_zero_cpu, table.allocatable_cpu[slots]
        if resource == "memory":
            return table.non_zero_memory[slots] + pod.non_zero_memory, table.allocatable_memory[
                slots
            ]
        if resource == "ephemeral-storage":
            return (
                table.requested_ephemeral[slots] + pod.requests.ephemeral,
                table.allocatable_ephemeral[slots],
            )
        amount = pod.requests.scalar.get(resource, 0)
        if amount == 0:  # an extended resource the pod does not request is not scored
            zeros = np.zeros(len(slots), dtype=np.int64)
            return zeros, zeros
        allocatable = table.scalar_allocatable.get(resource)
        requested = table.scalar_requested.get(resource)
        alloc = allocatable[slots] if allocatable is not None else np.zeros(len(slots), np.int64)
        used = requested[slots] if requested is not None else np.zeros(len(slots), np.int64)
        return used + amount, alloc

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        return least_allocated(
            [(*self._requested(state, name, slots), weight) for name, weight in self.resources]
        )


class BalancedAllocation(ScorePlugin):
    """NodeResourcesBalancedAllocation over cpu and memory."""

    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def pre_score(self, state: CycleState) -> bool:
        req = state.pod.requests
        return bool(req.cpu or req.memory)  # best-effort pods skip it (issue 129138)

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        pod, table = state.pod, state.table
        alloc_cpu, alloc_mem = table.allocatable_cpu[slots], table.allocatable_memory[slots]
        f_cpu = np.minimum(
            (table.requested_cpu[slots] + pod.requests.cpu) / np.maximum(alloc_cpu, 1), 1.0
        )
        f_mem = np.minimum(
            (table.requested_memory[slots] + pod.requests.memory) / np.maximum(alloc_mem, 1), 1.0
        )
        std = np.abs((f_cpu - f_mem) / 2)
        # A resource with zero allocatable is left out; with one resource left, std is 0.
        if not (alloc_cpu.all() and alloc_mem.all()):
            std[(alloc_cpu == 0) | (alloc_mem == 0)] = 0.0
        return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)
