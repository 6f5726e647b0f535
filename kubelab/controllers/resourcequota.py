"""The resource quota controller (``pkg/controller/resourcequota``).

It keeps every ResourceQuota's ``status`` current: ``status.hard`` is a copy of
``spec.hard`` and ``status.used`` what the namespace's objects cost now. Admission
(:mod:`kubelab.apiserver.resourcequota`) charges new objects at once; this controller gives
the usage back when they go away — a pod deleted or finished (``Succeeded``/``Failed`` pods
do not count, except in ``count/pods``), a Service or claim deleted — and recomputes when a
quota's ``hard`` changes (upstream's replenishment controller plus its full resync).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: ResourceQuota
... metadata: {name: pods-max}
... spec: {hard: {pods: "2"}}
... ''')
>>> c.run(1).get("quota", "pods-max")["status"]
{'hard': {'pods': '2'}, 'used': {'pods': '0'}}
"""

from __future__ import annotations

from kubelab.api.quota import calculate_used, kinds_of
from kubelab.controllers.base import Controller
from kubelab.errors import Conflict, NotFound

__all__ = ["ResourceQuotaController"]


class ResourceQuotaController(Controller):
    """Recomputes ``status.used`` of the quotas of a namespace whose objects changed."""

    name = "resourcequota-controller"

    def setup(self) -> None:
        self.quotas = self.informers.get("ResourceQuota")
        self.quotas.add_handler(on_add=self.enqueue_object, on_update=self._quota_updated)
        self._watched: set[str] = set()
        self._watch("Pod")

    def _watch(self, kind: str) -> None:
        """Follow ``kind`` (once a quota counts it): its changes may give usage back."""
        if kind in self._watched:
            return
        self._watched.add(kind)
        informer = self.informers.get(kind)
        if kind == "Pod":
            informer.add_handler(
                on_add=self._changed, on_update=self._pod_updated, on_delete=self._changed
            )
        else:
            informer.add_handler(
                on_add=self._changed, on_update=self._updated, on_delete=self._changed
            )

    def _quota_updated(self, old: dict, new: dict) -> None:
        if (old.get("spec") or {}) != (new.get("spec") or {}) or not new.get("status"):
            self.enqueue_object(new)

    def _changed(self, obj: dict) -> None:
        ns = obj["metadata"].get("namespace", "")
        for quota in self.quotas.list(ns):
            self.enqueue((ns, quota["metadata"]["name"]))

    def _updated(self, old: dict, new: dict) -> None:
        if old.get("spec") != new.get("spec"):
            self._changed(new)

    def _pod_updated(self, old: dict, new: dict) -> None:
        # Only what changes a pod's cost: reaching a terminal phase, or a deletion starting.
        terminal = ("Succeeded", "Failed")
        old_phase = (old.get("status") or {}).get("phase")
        new_phase = (new.get("status") or {}).get("phase")
        if (new_phase in terminal) != (old_phase in terminal) or bool(
            new["metadata"].get("deletionTimestamp")
        ) != bool(old["metadata"].get("deletionTimestamp")):
            self._changed(new)
            deadline = new["metadata"].get("deletionGracePeriodSeconds")
            if deadline:  # a terminating pod stops counting when its grace period ends
                ns = new["metadata"].get("namespace", "")
                for quota in self.quotas.list(ns):
                    self.enqueue((ns, quota["metadata"]["name"]), delay=float(deadline))

    def sync(self, key) -> None:
        ns, name = key
        quota = self.quotas.get(ns, name)
        if quota is None:
            return
        for kind in sorted(kinds_of(quota)):
            self._watch(kind)
        used = calculate_used(
            quota, lambda kind: self.informers.get(kind).list(ns), now=self.clock.now
        )
        status = {
            "hard": dict((quota.get("spec") or {}).get("hard") or {}),
            "used": {k: str(v) for k, v in sorted(used.items())},
        }
        if status == (quota.get("status") or {}):
            return
        try:
            self.client.update_status(dict(quota, status=status))
        except Conflict:
            self.enqueue(key)  # admission charged it meanwhile: recompute from the fresh copy
        except NotFound:
            pass
