"""The taint eviction controller (``pkg/controller/tainteviction``): NoExecute taints evict.

For each pod on a node with ``NoExecute`` taints (upstream ``processPodOnNode``):

* a taint the pod does not tolerate → the pod is deleted now;
* all tolerated → deleted after the smallest ``tolerationSeconds`` of the matching
  tolerations (never, if none of them has one); the timer is cancelled if the taints go
  away first.

Before deleting, the pod gets the condition ``DisruptionTarget`` (reason
``DeletionByTaintManager``) and an event ``TaintManagerEviction`` "Marking for deletion
Pod <ns>/<name>". Every pod gets 300 s tolerations for ``not-ready`` and
``unreachable`` (DefaultTolerationSeconds admission), hence the classic "pods leave a
dead node five minutes after it is declared unreachable".
"""

from __future__ import annotations

import contextlib

from kubelab.api.meta import cow, set_condition
from kubelab.controllers.base import Controller
from kubelab.errors import KubelabError, NotFound
from kubelab.scheduler.taints import taint_tuple, tolerates_taint, toleration_tuple

__all__ = ["TaintEvictionController", "matching_tolerations", "min_toleration_time"]


def matching_tolerations(taints: list[dict], tolerations: list[dict]) -> tuple[bool, list[dict]]:
    """``GetMatchingTolerations``: are all taints tolerated, and the first toleration of each.

    >>> t = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
    >>> matching_tolerations(t, [])
    (False, [])
    >>> ok, used = matching_tolerations(t, [{"operator": "Exists", "tolerationSeconds": 5}])
    >>> ok, min_toleration_time(used)
    (True, 5)
    """
    if not taints:
        return True, []
    parsed = [(toleration_tuple(t), t) for t in tolerations or ()]
    used = []
    for taint in taints:
        tt = taint_tuple(taint)
        match = next((t for tup, t in parsed if tolerates_taint(tup, tt)), None)
        if match is None:
            return False, []
        used.append(match)
    return True, used


def min_toleration_time(tolerations: list[dict]) -> float:
    """``getMinTolerationTime``: seconds until eviction; ``-1`` means never.

    >>> min_toleration_time([{"tolerationSeconds": 300}, {"tolerationSeconds": 60}, {}])
    60
    >>> min_toleration_time([{}]), min_toleration_time([])
    (-1, 0)
    """
    if not tolerations:
        return 0
    seconds = [
        t["tolerationSeconds"] for t in tolerations if t.get("tolerationSeconds") is not None
    ]
    if not seconds:
        return -1
    return max(0, min(seconds))


def _no_execute(node: dict | None) -> tuple:
    if node is None:
        return ()
    return tuple(
        t for t in node.get("spec", {}).get("taints") or () if t.get("effect") == "NoExecute"
    )


class TaintEvictionController(Controller):
    """Deletes pods from nodes with NoExecute taints they do not tolerate (long enough)."""

    name = "taint-eviction-controller"

    def setup(self) -> None:
        self.nodes = self.informers.get("Node")
        self.pods = self.informers.get("Pod")
        self.tainted: dict[str, tuple] = {}  # node → its NoExecute taints
        self.scheduled: dict[tuple, tuple] = {}  # (ns, pod) → (timer, created_at, fire_at)
        self.nodes.add_handler(
            on_add=self._node_changed, on_update=self._node_changed, on_delete=self._node_deleted
        )
        self.pods.add_handler(
            on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
        )

    # -- handlers --------------------------------------------------------------------------
    def _node_changed(self, *args) -> None:
        node = args[-1]
        name = node["metadata"]["name"]
        taints = _no_execute(node)
        if taints == self.tainted.get(name, ()):
            return
        if taints:
            self.tainted[name] = taints
        else:
            self.tainted.pop(name, None)
        now = self.clock.now
        for pod in self.pods.by_index("nodeName", name):
            if not taints:
                self.cancel(pod)
            else:
                self.process_pod_on_node(pod, taints, now)

    def _node_deleted(self, node: dict) -> None:
        self.tainted.pop(node["metadata"]["name"], None)

    def _pod_added(self, pod: dict) -> None:
        node = pod["spec"].get("nodeName")
        if node and node in self.tainted:
            self.process_pod_on_node(pod, self.tainted[node], self.clock.now)

    def _pod_updated(self, old: dict, new: dict) -> None:
        node = new["spec"].get("nodeName")
        if node == old["spec"].get("nodeName") and new["spec"].get("tolerations") == old[
            "spec"
        ].get("tolerations"):
            return
        if node and node in self.tainted:
            self.process_pod_on_node(new, self.tainted[node], self.clock.now)
        else:
            self.cancel(new)

    def _pod_deleted(self, pod: dict) -> None:
        work = self.scheduled.pop(_key(pod), None)
        if work is not None:
            work[0].cancel()

    # -- decisions -------------------------------------------------------------------------
    def process_pod_on_node(self, pod: dict, taints: tuple, now: float) -> None:
        """Upstream ``processPodOnNode``."""
        if pod["metadata"].get("deletionTimestamp"):
            return  # already on its way out
        tolerated, used = matching_tolerations(list(taints), pod["spec"].get("tolerations"))
        if not tolerated:
            self.cancel(pod)
            self._schedule(pod, now, now)
            return
        delay = min_toleration_time(used)
        if delay < 0:
            self.cancel(pod)
            return
        start, fire_at = now, now + delay
        work = self.scheduled.get(_key(pod))
        if work is not None:
            start = work[1]
            if start + delay < fire_at:
                return
            self.cancel(pod)
        self._schedule(pod, start, start + delay)

    def _schedule(self, pod: dict, created: float, fire_at: float) -> None:
        key = _key(pod)
        timer = self.clock.call_at(fire_at, self._evict, key)
        self.scheduled[key] = (timer, created, fire_at)

    def cancel(self, pod: dict) -> None:
        """``cancelWorkWithEvent``."""
        work = self.scheduled.pop(_key(pod), None)
        if work is not None:
            work[0].cancel()
            ns, name = _key(pod)
            self.client.event(
                pod, "Normal", "TaintManagerEviction", f"Cancelling deletion of Pod {ns}/{name}"
            )

    def _evict(self, key: tuple) -> None:
        self.scheduled.pop(key, None)
        ns, name = key
        pod = self.pods.get(ns, name)
        if pod is None:
            return
        self.client.event(
            pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}"
        )
        conditions = (pod.get("status") or {}).get("conditions")
        new_conditions = set_condition(
            conditions,
            {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint",
            },
            self.clock.now,
        )
        if new_conditions != conditions:
            new, status = cow(pod, "status")
            status["conditions"] = new_conditions
            try:
                self.client.update_status(new)
            except NotFound:
                return
            except KubelabError:
                pass
        with contextlib.suppress(NotFound):
            self.client.delete("Pod", name, ns)


def _key(pod: dict) -> tuple[str, str]:
    return pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
