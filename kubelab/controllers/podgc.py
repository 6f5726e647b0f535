"""The pod garbage collector (``pkg/controller/podgc``).

Three of upstream's four passes (every 20 s, ``gcCheckPeriod``):

* **orphaned** pods, bound to a node that no longer exists: after a 40 s quarantine and a
  live check of the node, they are marked Failed with the condition ``DisruptionTarget``
  (reason ``DeletionByPodGC``) and force-deleted;
* **terminating** pods on a node that is not Ready *and* carries the
  ``node.kubernetes.io/out-of-service`` taint: force-deleted (pods on a merely dead node
  stay Terminating, as upstream: the node might come back);
* **terminated** pods (Succeeded/Failed) beyond ``--terminated-pod-gc-threshold``
  (12,500): the oldest are deleted.

(The fourth, unscheduled terminating pods, cannot happen here: the API server removes an
unbound pod at once.) The passes use the ``nodeName`` index and a running set of
terminated pods, never a scan of every pod.
"""

from __future__ import annotations

import contextlib

from kubelab.api.meta import cow, get_condition, parse_time, set_condition
from kubelab.controllers.base import Controller
from kubelab.errors import KubelabError, NotFound

__all__ = ["OUT_OF_SERVICE", "PodGCController"]

GC_CHECK_PERIOD = 20.0
QUARANTINE = 40.0
TERMINATED_POD_GC_THRESHOLD = 12500
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"


class PodGCController(Controller):
    """Force-deletes pods that no kubelet will ever finish."""

    name = "pod-garbage-collector-controller"

    def setup(self) -> None:
        self.threshold = self.config.get("terminated-pod-gc-threshold", TERMINATED_POD_GC_THRESHOLD)
        self.nodes = self.informers.get("Node")
        self.pods = self.informers.get("Pod")
        self.terminated: dict[tuple, dict] = {}
        self.suspect_nodes: dict[str, float] = {}  # node name → when we noticed it missing
        self.pods.add_handler(
            on_add=self._pod_changed, on_update=self._pod_changed, on_delete=self._pod_deleted
        )
        self.nodes.add_handler(on_delete=self._node_deleted)
        self.clock.call_later(GC_CHECK_PERIOD, self._loop)

    def _pod_changed(self, *args) -> None:
        pod = args[-1]
        key = (pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self.terminated[key] = pod
        else:
            self.terminated.pop(key, None)
        node = pod["spec"].get("nodeName")
        if node and node not in self.suspect_nodes and self.nodes.get("", node) is None:
            self.suspect_nodes[node] = self.clock.now

    def _pod_deleted(self, pod: dict) -> None:
        self.terminated.pop((pod["metadata"].get("namespace", ""), pod["metadata"]["name"]), None)

    def _node_deleted(self, node: dict) -> None:
        self.suspect_nodes.setdefault(node["metadata"]["name"], self.clock.now)

    def _loop(self) -> None:
        self.gc()
        self.clock.call_later(GC_CHECK_PERIOD, self._loop)

    def sync(self, key) -> None:  # everything runs from the periodic pass
        self.gc()

    def gc(self) -> None:
        self.gc_terminated()
        self.gc_terminating()
        self.gc_orphaned()

    def gc_terminated(self) -> None:
        excess = len(self.terminated) - self.threshold
        if excess <= 0:
            return
        oldest = sorted(
            self.terminated.values(),
            key=lambda p: (
                parse_time(p["metadata"].get("creationTimestamp")) or 0.0,
                p["metadata"].get("namespace", ""),
                p["metadata"]["name"],
            ),
        )
        for pod in oldest[:excess]:
            self._force_delete(pod)

    def gc_terminating(self) -> None:
        for node in self.nodes.list():
            taints = node.get("spec", {}).get("taints") or ()
            if not any(t.get("key") == OUT_OF_SERVICE for t in taints):
                continue
            ready = get_condition(node, "Ready")
            if ready is not None and ready.get("status") == "True":
                continue
            for pod in self.pods.by_index("nodeName", node["metadata"]["name"]):
                if pod["metadata"].get("deletionTimestamp"):
                    self._force_delete(pod)

    def gc_orphaned(self) -> None:
        now = self.clock.now
        for name, since in sorted(self.suspect_nodes.items()):
            if self.nodes.get("", name) is not None:
                del self.suspect_nodes[name]
                continue
            if now - since < QUARANTINE:
                continue
            try:  # upstream double-checks with a live GET before acting
                self.client.get("Node", name, "")
                del self.suspect_nodes[name]
                continue
            except NotFound:
                pass
            del self.suspect_nodes[name]
            for pod in self.pods.by_index("nodeName", name):
                self._mark_failed(pod, "PodGC: node no longer exists")
                self._force_delete(pod)

    def _mark_failed(self, pod: dict, message: str) -> None:
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed"):
            return
        new, new_status = cow(pod, "status")
        new_status["phase"] = "Failed"
        new_status["conditions"] = set_condition(
            status.get("conditions"),
            {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "DeletionByPodGC",
                "message": message,
            },
            self.clock.now,
        )
        with contextlib.suppress(KubelabError):
            self.client.update_status(new)

    def _force_delete(self, pod: dict) -> None:
        meta = pod["metadata"]
        with contextlib.suppress(NotFound):
            self.client.delete("Pod", meta["name"], meta.get("namespace", ""), grace_period=0)
