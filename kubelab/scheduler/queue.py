"""The scheduling queue (``pkg/scheduler/backend/queue/scheduling_queue.go``).

Three parts, as upstream's ``PriorityQueue``:

* **activeQ** — pods ready to be tried, ordered by PrioritySort: higher
  ``spec.priority`` first, then the earlier queue timestamp.
* **backoffQ** — pods that failed recently wait ``1 s × 2^(attempts−1)`` (at most
  10 s) from their last failure before returning to activeQ.
* **unschedulable** — pods that failed and wait for a cluster event that could help
  (node added or changed, pod deleted); after 5 minutes they are retried anyway.

Examples
--------
>>> q = SchedulingQueue()
>>> q.add(("default", "low"), "low-info", priority=0, now=0.0)
>>> q.add(("default", "high"), "high-info", priority=100, now=1.0)
>>> q.pop(now=1.0).key, q.pop(now=1.0).key
(('default', 'high'), ('default', 'low'))
>>> backoff_duration(1), backoff_duration(3), backoff_duration(10)
(1.0, 4.0, 10.0)
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

__all__ = [
    "POD_INITIAL_BACKOFF",
    "POD_MAX_BACKOFF",
    "POD_MAX_IN_UNSCHEDULABLE",
    "QueuedPodInfo",
    "SchedulingQueue",
    "backoff_duration",
]

POD_INITIAL_BACKOFF = 1.0  # podInitialBackoffSeconds
POD_MAX_BACKOFF = 10.0  # podMaxBackoffSeconds
POD_MAX_IN_UNSCHEDULABLE = 300.0  # podMaxInUnschedulablePodsDuration
FLUSH_UNSCHEDULABLE_PERIOD = 30.0  # flushUnschedulablePodsLeftover runs this often

ACTIVE, BACKOFF, UNSCHEDULABLE, IN_FLIGHT = "active", "backoff", "unschedulable", "in-flight"


def backoff_duration(
    attempts: int, initial: float = POD_INITIAL_BACKOFF, maximum: float = POD_MAX_BACKOFF
) -> float:
    """``calculateBackoffDuration``: doubles per attempt from ``initial``, capped at ``maximum``."""
    if attempts <= 0:
        return 0.0
    duration = initial
    for _ in range(1, attempts):
        if duration > maximum - duration:
            return maximum
        duration += duration
    return duration


@dataclass(eq=False)
class QueuedPodInfo:
    """A pod in the queue: its parsed info, where it is, and its attempts."""

    key: tuple[str, str]
    info: object  # PodInfo
    priority: int
    timestamp: float  # when it last entered the queue (PrioritySort's tie-break)
    attempts: int = 0
    where: str = ACTIVE
    token: int = -1  # sequence of its live heap entry; older entries are stale
    pod_add_helps: bool = False  # its last rejection could be resolved by a new pod (hints)
    hinted_in: tuple[str, ...] = ()  # the namespaces whose new pods it waits for ("*": any)

    def backoff_expiry(self) -> float:
        return self.timestamp + backoff_duration(self.attempts)


class SchedulingQueue:
    """activeQ / backoffQ / unschedulable pods, with lazy deletion from the heaps."""

    def __init__(self) -> None:
        self.pods: dict[tuple[str, str], QueuedPodInfo] = {}
        self._unschedulable: dict[tuple[str, str], QueuedPodInfo] = {}  # insertion-ordered
        # namespace → the unschedulable pods a newly assigned pod there could help (hints)
        self._hinted: dict[str, dict[tuple[str, str], QueuedPodInfo]] = {}
        self._active: list[tuple] = []
        self._backoff: list[tuple] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self.pods)

    def __contains__(self, key) -> bool:
        return key in self.pods

    def counts(self) -> dict[str, int]:
        """How many pods are in each part (for lessons and ``explain``)."""
        out = {ACTIVE: 0, BACKOFF: 0, UNSCHEDULABLE: 0, IN_FLIGHT: 0}
        for qp in self.pods.values():
            out[qp.where] += 1
        return out

    # -- entering ------------------------------------------------------------------------------
    def _leave_unschedulable(self, key) -> None:
        qp = self._unschedulable.pop(key, None)
        if qp is None:
            return
        for namespace in qp.hinted_in:
            hinted = self._hinted.get(namespace)
            if hinted is not None:
                hinted.pop(key, None)
                if not hinted:
                    del self._hinted[namespace]
        qp.hinted_in = ()

    def _push_active(self, qp: QueuedPodInfo) -> None:
        self._leave_unschedulable(qp.key)
        qp.where, qp.token = ACTIVE, next(self._seq)
        heapq.heappush(self._active, (-qp.priority, qp.timestamp, qp.token, qp))

    def _push_backoff(self, qp: QueuedPodInfo) -> None:
        self._leave_unschedulable(qp.key)
        qp.where, qp.token = BACKOFF, next(self._seq)
        heapq.heappush(self._backoff, (qp.backoff_expiry(), qp.token, qp))

    def _live(self, qp: QueuedPodInfo, where: str, token: int) -> bool:
        return self.pods.get(qp.key) is qp and qp.where == where and qp.token == token

    def add(self, key, info, *, priority: int, now: float) -> None:
        """A new pending pod goes straight to activeQ."""
        if key in self.pods:
            self.update(key, info, priority=priority, now=now)
            return
        qp = self.pods[key] = QueuedPodInfo(key, info, priority, now)
        self._push_active(qp)

    def update(self, key, info, *, priority: int, now: float) -> None:
        """The pending pod changed: keep its place, or retry it if it was waiting for help."""
        qp = self.pods.get(key)
        if qp is None:
            self.add(key, info, priority=priority, now=now)
            return
        qp.info = info
        if qp.priority != priority and qp.where == ACTIVE:
            qp.priority = priority
            self._push_active(qp)  # the old heap entry is skipped when popped
        qp.priority = priority
        if qp.where == UNSCHEDULABLE:
            self._move(qp, now)

    def delete(self, key) -> None:
        self.pods.pop(key, None)  # heap entries of deleted pods are skipped when popped
        self._leave_unschedulable(key)

    # -- leaving -------------------------------------------------------------------------------
    def pop(self, now: float) -> QueuedPodInfo | None:
        """The next pod to schedule (it is *in flight* until :meth:`requeue` or :meth:`done`)."""
        while self._active:
            _, _, token, qp = heapq.heappop(self._active)
            if self._live(qp, ACTIVE, token):
                qp.where = IN_FLIGHT
                qp.attempts += 1
                return qp
        return None

    def done(self, key) -> None:
        """The pod was bound: it leaves the queue."""
        self.delete(key)

    def requeue_unschedulable(self, qp: QueuedPodInfo, now: float) -> None:
        """``AddUnschedulableIfNotPresent``: wait for a cluster event (or 5 minutes)."""
        if self.pods.get(qp.key) is not qp:
            return  # deleted while in flight
        qp.timestamp = now
        qp.where = UNSCHEDULABLE
        self._unschedulable[qp.key] = qp
        if qp.pod_add_helps:
            qp.hinted_in = _hint_namespaces(qp)
            for namespace in qp.hinted_in:
                self._hinted.setdefault(namespace, {})[qp.key] = qp

    def requeue_backoff(self, qp: QueuedPodInfo, now: float) -> None:
        """Retry after the backoff (an error, not a verdict, stopped the cycle)."""
        if self.pods.get(qp.key) is not qp:
            return
        qp.timestamp = now
        self._push_backoff(qp)

    # -- moving --------------------------------------------------------------------------------
    def _move(self, qp: QueuedPodInfo, now: float) -> None:
        if qp.backoff_expiry() > now:
            self._push_backoff(qp)
        else:
            self._push_active(qp)

    def move_all_to_active_or_backoff(self, now: float) -> int:
        """A cluster event may help: every unschedulable pod is retried (after its backoff)."""
        waiting = list(self._unschedulable.values())
        for qp in waiting:
            self._move(qp, now)
        return len(waiting)

    def move_for_pod_add(self, namespace: str, now: float) -> int:
        """A pod was assigned in ``namespace``: retry the unschedulable pods that pod affinity
        or topology spreading rejected and that such a pod could help (queueing hints): those of
        ``namespace``, and those whose affinity terms reach it (``namespaces``,
        ``namespaceSelector``)."""
        found = dict(self._hinted.get(namespace) or {})
        found.update(self._hinted.get("*") or {})
        waiting = list(found.values())
        if not waiting:
            return 0
        for qp in waiting:
            self._move(qp, now)
        return len(waiting)

    def flush_backoff_completed(self, now: float) -> None:
        """Pods whose backoff has expired return to activeQ."""
        while self._backoff and self._backoff[0][0] <= now:
            _, token, qp = heapq.heappop(self._backoff)
            if self._live(qp, BACKOFF, token):
                self._push_active(qp)

    def next_backoff_expiry(self) -> float | None:
        while self._backoff:
            expiry, token, qp = self._backoff[0]
            if self._live(qp, BACKOFF, token):
                return expiry
            heapq.heappop(self._backoff)
        return None

    def flush_unschedulable_leftover(self, now: float) -> None:
        """Pods unschedulable for more than 5 minutes are retried anyway."""
        for qp in list(self._unschedulable.values()):
            if now - qp.timestamp > POD_MAX_IN_UNSCHEDULABLE:
                self._move(qp, now)

    def has_unschedulable(self) -> bool:
        return bool(self._unschedulable)


def _hint_namespaces(qp: QueuedPodInfo) -> tuple[str, ...]:
    """Where a newly assigned pod could help ``qp``: its own namespace (topology spreading
    counts only there) and every namespace its required affinity terms name; ``"*"`` when a
    term has a namespaceSelector (upstream's hint checks every new pod against the terms)."""
    out = {qp.key[0]}
    for term in getattr(qp.info, "required_affinity", ()) or ():
        if term.namespace_selector is not None:
            out.add("*")
        out |= term.namespaces
    return tuple(sorted(out))
