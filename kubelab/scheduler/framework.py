"""The scheduling framework's vocabulary: plugins, cycle state, status codes, FitError.

kubelab's plugins are vectorised: a Filter returns, for every node at once, the
nodes it rejects and why (a list of ``(reason, mask)``); a Score returns an array
of scores for the feasible nodes. :class:`Framework` holds the plugin lists with
their weights, like a scheduler profile.

Examples
--------
>>> num_feasible_nodes_to_find(10), num_feasible_nodes_to_find(1000), num_feasible_nodes_to_find(6000)
(10, 420, 300)
>>> fit_error_message(3, {"Insufficient cpu": 3}, post_filter="preemption: 0/3 nodes are "
...                   "available: 3 No preemption victims found for incoming pod.")
'0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "MAX_NODE_SCORE",
    "NO_NODES_AVAILABLE",
    "UNSCHEDULABLE",
    "UNSCHEDULABLE_AND_UNRESOLVABLE",
    "CycleState",
    "FilterPlugin",
    "Framework",
    "PreFilterResult",
    "Rejected",
    "ScorePlugin",
    "default_normalize_score",
    "fit_error_message",
    "num_feasible_nodes_to_find",
    "truncate_message",
]

MAX_NODE_SCORE = 100
# Status codes (framework.Code). Preemption only considers nodes that failed with UNSCHEDULABLE.
UNSCHEDULABLE = "Unschedulable"
UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"
NO_NODES_AVAILABLE = "no nodes available to schedule pods"  # ErrNoNodesAvailable

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
NOTE_LENGTH_LIMIT = 1024  # validation.NoteLengthLimit, for event messages


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """How many feasible nodes a cycle looks for before it stops filtering (schedule_one.go).

    >>> [num_feasible_nodes_to_find(n, p) for n, p in [(10, 40), (1000, 40), (200, 0), (6000, 40)]]
    [10, 400, 100, 2400]
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    num_nodes = num_all_nodes * percentage // 100
    return max(num_nodes, MIN_FEASIBLE_NODES_TO_FIND)


def fit_error_message(
    num_all_nodes: int, histogram: dict[str, int], *, pre_filter: str = "", post_filter: str = ""
) -> str:
    """``FitError.Error()``: ``0/N nodes are available: <histogram>. <post filter>``.

    The histogram entries are ``"<count> <reason>"`` sorted as Go's ``sort.Strings``
    sorts them (bytewise, so ``"10 ..."`` comes before ``"2 ..."``), joined by ``", "``.

    >>> fit_error_message(12, {"Insufficient cpu": 10, "node(s) were unschedulable": 2})
    '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.'
    """
    message = f"0/{num_all_nodes} nodes are available:"
    if pre_filter:
        message += f" {pre_filter}."
    else:
        entries = sorted(
            (f"{count} {reason}" for reason, count in histogram.items() if count),
            key=lambda s: s.encode(),
        )
        if entries:
            message += f" {', '.join(entries)}."
    if post_filter:
        # Since v1.30 a post-filter message that already ends a sentence gets no second period.
        message += f" {post_filter}" if post_filter.endswith(".") else f" {post_filter}."
    return message


def truncate_message(message: str) -> str:
    """Event messages are cut at 1024 bytes with ``" ..."`` as the scheduler does."""
    if len(message) <= NOTE_LENGTH_LIMIT:
        return message
    return message[: NOTE_LENGTH_LIMIT - 4] + " ..."


def default_normalize_score(scores: np.ndarray, reverse: bool = False) -> np.ndarray:
    """``helper.DefaultNormalizeScore``: scale to 0..100 by the maximum (optionally reversed).

    >>> default_normalize_score(np.array([0, 1, 2])).tolist()
    [0, 50, 100]
    >>> default_normalize_score(np.array([0, 1, 2]), reverse=True).tolist()
    [100, 50, 0]
    >>> default_normalize_score(np.array([0, 0]), reverse=True).tolist()
    [100, 100]
    """
    max_count = int(scores.max()) if len(scores) else 0
    if max_count == 0:
        return np.full(len(scores), MAX_NODE_SCORE, dtype=np.int64) if reverse else scores
    out = MAX_NODE_SCORE * scores // max_count
    return MAX_NODE_SCORE - out if reverse else out


class Rejected(Exception):
    """Raised by a PreFilter that rejects the pod outright (the message is PreFilterMsg)."""

    def __init__(self, message: str, code: str = UNSCHEDULABLE_AND_UNRESOLVABLE):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class PreFilterResult:
    """A PreFilter's narrowing of the candidate nodes (``PreFilterResult.NodeNames``)."""

    node_names: frozenset[str]
    plugin: str


@dataclass
class CycleState:
    """What one scheduling cycle knows: the pod, the node table, and per-plugin scratch."""

    pod: object  # PodInfo
    table: object  # NodeTable
    data: dict = field(default_factory=dict)
    handle: object = None  # kubelab.scheduler.handle.Handle (listers); None: a bare table

    def __post_init__(self):
        if self.handle is None:
            from kubelab.scheduler.handle import Handle

            self.handle = Handle()


class FilterPlugin:
    """A Filter over every node at once.

    ``filter`` returns ``[(reason, mask), ...]``: ``mask`` (over the table's slots)
    marks the nodes failing with ``reason``. A node may fail with several reasons
    (NodeResourcesFit lists each insufficient resource).
    """

    name = "Filter"
    code = UNSCHEDULABLE_AND_UNRESOLVABLE

    def pre_filter(self, state: CycleState) -> PreFilterResult | None:
        """Precompute, narrow the candidates, or raise :class:`Rejected`. Optional."""
        return None

    def filter(self, state: CycleState) -> list[tuple[str, np.ndarray]]:
        raise NotImplementedError

    def unresolvable(self, state: CycleState) -> np.ndarray | None:
        """Nodes whose rejection preemption could never fix, for a plugin whose ``code`` is
        UNSCHEDULABLE (NodeResourcesFit: the request exceeds the node's allocatable)."""
        return None


class ScorePlugin:
    """A Score over the feasible nodes: ``score`` returns an int64 array aligned with ``slots``.

    ``weight`` is the plugin's weight in the default profile (0: not a default score plugin).
    """

    name = "Score"
    weight = 0

    def pre_score(self, state: CycleState) -> bool:
        """False to skip this plugin for the pod (it then scores 0 everywhere)."""
        return True

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def normalize(self, state: CycleState, scores: np.ndarray) -> np.ndarray:
        return scores


@dataclass
class Framework:
    """A scheduler profile: filter plugins in order, score plugins with weights."""

    filters: list[FilterPlugin]
    scores: list[tuple[ScorePlugin, int]]
    percentage_of_nodes_to_score: int = 0
    name: str = "default-scheduler"
    handle: object = None  # listers for the plugins (kubelab.scheduler.handle)

    @classmethod
    def default(cls) -> Framework:
        """The default plugin set kubelab simulates, with upstream's order and weights."""
        from kubelab.scheduler.plugins import default_plugins

        filters, scores = default_plugins()
        return cls(filters, scores)
